import { describe, expect, it } from "vitest";
import { nextWatch, type WatchedTurn, watchdogAction } from "../../src/session/turn-watchdog";

const settings = { deadlineMs: 1_000, watchdogMs: 100, toolResultsTimeoutMs: 500 };
const working: WatchedTurn = { parked: false, unwritten: false, abortedAt: null, startedAt: 10_000 };
const parked: WatchedTurn = { ...working, parked: true };
const noWait = { waitingSince: null, waitedMs: 0 };

describe("what the watchdog does", () => {
  it("with no turn: starts a queued input, unless a turn is recorded (recover ends that one)", () => {
    expect(watchdogAction({ turn: null, stored: null, now: 0, settings })).toBe("start_next");
    expect(watchdogAction({ turn: null, stored: noWait, now: 0, settings })).toBe("nothing");
  });

  it("writes again an end that storage refused, before anything else", () => {
    expect(watchdogAction({ turn: { ...working, unwritten: true, abortedAt: 0 }, stored: noWait, now: 99_999, settings })).toBe(
      "write_end",
    );
    expect(watchdogAction({ turn: { ...parked, unwritten: true }, stored: { waitingSince: 0, waitedMs: 0 }, now: 99_999, settings })).toBe(
      "write_end",
    );
  });

  it("ends a parked turn once its client has had toolResultsTimeoutMs, and never aborts it for the deadline", () => {
    const stored = { waitingSince: 20_000, waitedMs: 0 };
    expect(watchdogAction({ turn: parked, stored, now: 20_499, settings })).toBe("nothing");
    expect(watchdogAction({ turn: parked, stored, now: 20_500, settings })).toBe("end_wait_timed_out");
    expect(watchdogAction({ turn: parked, stored: noWait, now: 99_999, settings })).toBe("nothing");
  });

  it("aborts a working turn past its deadline, its waits for the client not counted", () => {
    expect(watchdogAction({ turn: working, stored: noWait, now: 10_999, settings })).toBe("nothing");
    expect(watchdogAction({ turn: working, stored: noWait, now: 11_000, settings })).toBe("abort_deadline");
    // 400 ms waited for the client before: they do not count.
    expect(watchdogAction({ turn: working, stored: { waitingSince: null, waitedMs: 400 }, now: 11_399, settings })).toBe("nothing");
    expect(watchdogAction({ turn: working, stored: { waitingSince: null, waitedMs: 400 }, now: 11_400, settings })).toBe("abort_deadline");
    // A wait in progress stops the clock: 600 ms counted before it, however long it lasts.
    expect(watchdogAction({ turn: working, stored: { waitingSince: 10_600, waitedMs: 0 }, now: 99_999, settings })).toBe("nothing");
  });

  it("ends without its work a turn aborted a watchdog period ago that still runs", () => {
    const aborted = { ...working, abortedAt: 10_500 };
    expect(watchdogAction({ turn: aborted, stored: noWait, now: 10_599, settings })).toBe("nothing");
    expect(watchdogAction({ turn: aborted, stored: noWait, now: 10_600, settings })).toBe("force_end");
  });
});

describe("when the watchdog looks next", () => {
  const base = { busy: true, closed: false, queued: false, turn: working, waitingSince: null, now: 5_000, settings };

  it("every watchdog period while a turn works", () => {
    expect(nextWatch(base)).toBe(5_100);
  });

  it("for a parked turn, only when its wait times out (at once if that is past)", () => {
    expect(nextWatch({ ...base, turn: parked, waitingSince: 4_800 })).toBe(5_300);
    expect(nextWatch({ ...base, turn: parked, waitingSince: 1_000 })).toBe(5_000);
    expect(nextWatch({ ...base, turn: { ...parked, unwritten: true }, waitingSince: 4_800 })).toBe(5_100);
  });

  it("with no turn: soon while inputs wait (their start failed), never when none does or the session is being deleted", () => {
    const idle = { ...base, busy: false, turn: null };
    expect(nextWatch({ ...idle, queued: true })).toBe(5_100);
    expect(nextWatch(idle)).toBeNull();
    expect(nextWatch({ ...idle, queued: true, closed: true })).toBeNull();
  });
});

describe("the watchdog and calls waiting for approval", () => {
  const stored = { waitingSince: 20_000, waitedMs: 0 };

  it("rejects a call once its approval wait has passed, before the client's timeout is looked at", () => {
    const waits = { approvalExpiry: 21_000, forClient: false };
    expect(watchdogAction({ turn: parked, stored, waits, now: 20_999, settings })).toBe("nothing");
    expect(watchdogAction({ turn: parked, stored, waits, now: 21_000, settings })).toBe("expire_approvals");
    expect(watchdogAction({ turn: parked, stored, waits: { approvalExpiry: 21_000, forClient: true }, now: 21_000, settings })).toBe(
      "expire_approvals",
    );
  });

  it("applies the client-results timeout only while a client-side call has no result", () => {
    expect(watchdogAction({ turn: parked, stored, waits: { approvalExpiry: 99_999, forClient: false }, now: 20_500, settings })).toBe(
      "nothing",
    );
    expect(watchdogAction({ turn: parked, stored, waits: { approvalExpiry: 99_999, forClient: true }, now: 20_500, settings })).toBe(
      "end_wait_timed_out",
    );
  });

  it("looks next when the first of the waits ends", () => {
    const base = {
      busy: true,
      closed: false,
      queued: false,
      turn: { parked: true, unwritten: false },
      waitingSince: 20_000,
      now: 20_100,
      settings,
    };
    expect(nextWatch({ ...base, waits: { approvalExpiry: 20_300, forClient: true } })).toBe(20_300);
    expect(nextWatch({ ...base, waits: { approvalExpiry: 90_000, forClient: true } })).toBe(20_500);
    expect(nextWatch({ ...base, waits: { approvalExpiry: 90_000, forClient: false } })).toBe(90_000);
    // An expiry already past is looked at now.
    expect(nextWatch({ ...base, waits: { approvalExpiry: 10_000, forClient: false } })).toBe(20_100);
  });
});
