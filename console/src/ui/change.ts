import { type ApiProblem, toProblem } from "../api/problem";

/** What a change reports to the page: its problem (null while it runs or once it worked), and a success. */
export interface ChangeHooks {
  setProblem: (problem: ApiProblem | null) => void;
  /** Called once the change worked (the page reloads what it shows). */
  done: () => void;
}

/**
 * Runs a change the page asked for: the last problem is cleared first; once it works, the form is
 * reset and `done` runs; a failure becomes the problem shown, and the form keeps what was typed.
 */
export async function runChange(work: () => Promise<unknown>, hooks: ChangeHooks, form?: { reset(): void }): Promise<void> {
  hooks.setProblem(null);
  try {
    await work();
    form?.reset();
    hooks.done();
  } catch (err) {
    hooks.setProblem(toProblem(err));
  }
}
