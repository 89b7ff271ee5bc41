import { describe, expect, it } from "vitest";
import { ApiProblem } from "../src/api/problem";
import { runChange } from "../src/ui/change";

/** What a page sees of a change: the problems it was shown, in order, its reloads and its form's resets. */
function page() {
  const seen = { problems: [] as (ApiProblem | null)[], reloads: 0, resets: 0 };
  const hooks = {
    setProblem: (p: ApiProblem | null) => seen.problems.push(p),
    done: () => {
      seen.reloads += 1;
    },
  };
  const form = {
    reset: () => {
      seen.resets += 1;
    },
  };
  return { seen, hooks, form };
}

describe("a change an admin page runs (runChange)", () => {
  it("clears the last problem, runs the change, then resets the form and reloads", async () => {
    const { seen, hooks, form } = page();
    const order: string[] = [];
    await runChange(
      async () => {
        order.push(`work after ${seen.problems.length} problem update(s)`);
      },
      hooks,
      form,
    );
    expect(order).toEqual(["work after 1 problem update(s)"]);
    expect(seen).toEqual({ problems: [null], reloads: 1, resets: 1 });
  });

  it("shows a failure as the API's problem, keeps what the form holds and reloads nothing", async () => {
    const { seen, hooks, form } = page();
    const refused = new ApiProblem({ status: 409, code: "conflict", detail: "The name is taken", requestId: "req_1" });
    await runChange(() => Promise.reject(refused), hooks, form);
    expect(seen).toEqual({ problems: [null, refused], reloads: 0, resets: 0 });
  });

  it("turns a failure that is not the API's (no network) into a problem people can read", async () => {
    const { seen, hooks } = page();
    await runChange(() => Promise.reject(new TypeError("Failed to fetch")), hooks);
    expect(seen.problems[1]).toMatchObject({ status: 0, code: "network_error", requestId: null });
    expect(seen.reloads).toBe(0);
  });

  it("reloads without a form to reset (a button's change)", async () => {
    const { seen, hooks } = page();
    await runChange(() => Promise.resolve(), hooks);
    expect(seen).toEqual({ problems: [null], reloads: 1, resets: 0 });
  });
});
