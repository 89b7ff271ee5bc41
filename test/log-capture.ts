import { afterEach, beforeEach } from "vitest";

/**
 * While a test runs, the Worker's console lines (the access log, warnings a test provokes on
 * purpose) stay in this isolate, and are printed only when the test fails, beside its failure.
 * vitest's `silent: "passed-only"` shows the same lines, but only after each one went to the
 * runner on its own: one message per line, tens of thousands per run, a large share of the
 * suite's CPU. Lines written outside a test (setup, background work after it) go to the runner as
 * before. The session objects run in this isolate, so their lines are caught too.
 */

const LEVELS = ["log", "info", "warn", "error", "debug"] as const;
type Level = (typeof LEVELS)[number];
type Write = (...args: unknown[]) => void;

interface Capture {
  /** The lines of the running test, or null between tests. */
  lines: [Level, unknown[]][] | null;
  original: Record<Level, Write>;
}

/** Installed once per isolate: the project's files share one (and tests' console spies wrap it). */
const KEY = Symbol.for("test.log-capture");

function install(): Capture {
  // biome-ignore lint/suspicious/noConsole: console.log is the access log kept here
  const original = Object.fromEntries(LEVELS.map((level) => [level, console[level]])) as Record<Level, Write>;
  const capture: Capture = { lines: null, original };
  for (const level of LEVELS) {
    console[level] = (...args: unknown[]) => {
      if (capture.lines) capture.lines.push([level, args]);
      else original[level](...args);
    };
  }
  return capture;
}

const shared = globalThis as { [KEY]?: Capture };
shared[KEY] ??= install();
const capture = shared[KEY];

beforeEach(() => {
  capture.lines = [];
});

afterEach(({ task }) => {
  const lines = capture.lines ?? [];
  capture.lines = null;
  if (task.result?.state !== "fail") return;
  for (const [level, args] of lines) capture.original[level](...args);
});
