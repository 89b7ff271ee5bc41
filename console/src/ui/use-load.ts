import { useCallback, useEffect, useState } from "hono/jsx/dom";
import { type ApiProblem, toProblem } from "../api/problem";
import { runChange } from "./change";

export interface Loaded<T> {
  data: T | null;
  problem: ApiProblem | null;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change (and on `reload()`), keeping its result or its problem. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; problem: ApiProblem | null; loading: boolean }>({
    data: null,
    problem: null,
    loading: true,
  });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => current && setState({ data, problem: null, loading: false }),
      (err: unknown) => current && setState({ data: null, problem: toProblem(err), loading: false }),
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, reload };
}

/** A list a page shows and changes: loaded like `useLoad`, with `change` to run a change and reload. */
export interface Changeable<T> extends Loaded<T> {
  /** The load's problem, else the last change's. */
  problem: ApiProblem | null;
  /** Runs `work`, then resets `form` and reloads; a failure is kept in `problem` (runChange). */
  change: (work: () => Promise<unknown>, form?: HTMLFormElement) => Promise<void>;
}

/** `useLoad` for a page that changes what it shows: every change clears the last problem, then reloads or shows its own. */
export function useChangeable<T>(load: () => Promise<T>, deps: unknown[]): Changeable<T> {
  const loaded = useLoad(load, deps);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const change = (work: () => Promise<unknown>, form?: HTMLFormElement) => runChange(work, { setProblem, done: loaded.reload }, form);
  return { ...loaded, problem: loaded.problem ?? problem, change };
}
