// Reading the metered Worker's D1 calls (bench/d1/entry.ts) and sorting them by when they
// finished: on a request's path (done when its answer or event arrived) or after it.
import { setTimeout as sleep } from "node:timers/promises";

async function meter(base, query = "") {
  const res = await fetch(`${base}/__bench/d1?${query}`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`/__bench/d1 answered ${res.status}: is this the metered build?`);
  return res.json();
}

/** Sets the delay per D1 call and forgets the calls so far. */
export const setLatency = (base, ms) => meter(base, `latency=${ms}&reset=1`);
/** The calls so far, with which of them have finished: taken the moment a client saw something. */
const peek = (base) => meter(base);

/** Waits until every call has finished and none has started for a while (bounded), then reads and resets. */
async function settle(base, latencyMs) {
  const quietMs = 2 * latencyMs + 150;
  const deadline = performance.now() + 5_000;
  let last = -1;
  for (;;) {
    await sleep(quietMs);
    const now = await peek(base);
    const quiet = now.calls.every((c) => c.done) && now.calls.length === last;
    if (quiet || performance.now() > deadline) return meter(base, "reset=1");
    last = now.calls.length;
  }
}

/**
 * The longest chain of calls each of which started after the one before it ended: the round
 * trips a client waited for one after another (calls in parallel add none).
 */
function sequentialDepth(calls) {
  const depth = new Map();
  for (const call of [...calls].sort((a, b) => a.startedAt - b.startedAt)) {
    const before = calls.filter((c) => c.endedAt > 0 && c.endedAt < call.startedAt).map((c) => depth.get(c) ?? 0);
    depth.set(call, 1 + Math.max(0, ...before));
  }
  return Math.max(0, ...depth.values());
}

/** Tally of a list of calls: reads, writes, sequential round trips, and what they were. */
export function tally(calls) {
  return {
    reads: calls.filter((c) => c.kind === "read").length,
    writes: calls.filter((c) => c.kind === "write").length,
    sequential: sequentialDepth(calls),
    what: calls.map((c) => `${c.kind === "write" ? "W" : "R"} ${c.what}`),
  };
}

/**
 * Runs `action(mark)` between a reset and a settled read of the meter. `action` calls
 * `mark(name)` when the client sees each milestone (an answer, an event); every call is then
 * placed in the first milestone by which it had finished, or in "after" when it finished later.
 */
export async function countCalls(base, latencyMs, action) {
  await meter(base, "reset=1");
  const marks = [];
  await action(async (name) => marks.push({ name, calls: (await peek(base)).calls }));
  const all = (await settle(base, latencyMs)).calls;
  const phases = Object.fromEntries([...marks.map((m) => [m.name, []]), ["after", []]]);
  all.forEach((call, i) => {
    const mark = marks.find((m) => m.calls[i]?.done);
    phases[mark ? mark.name : "after"].push(call);
  });
  return phases;
}
