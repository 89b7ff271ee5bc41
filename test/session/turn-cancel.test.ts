import { describe, expect, it } from "vitest";
import { aimOfCancel, answerForEnded, cancelAction, DUPLICATE_CANCEL_WINDOW_MS } from "../../src/session/turn-cancel";

describe("which turn a cancel means", () => {
  const lastEnded = { turnId: "turn_a", at: 1_000, next: "turn_b" };

  it("a named cancel means its turn, whatever else happened", () => {
    expect(aimOfCancel({ named: "turn_x", running: "turn_b", lastEnded, now: 1_001 })).toEqual({ kind: "turn", turnId: "turn_x" });
  });

  it("an unnamed cancel that finds the turn queued behind a cancelled one running, within the window, is that cancel again", () => {
    expect(aimOfCancel({ named: undefined, running: "turn_b", lastEnded, now: 1_000 + DUPLICATE_CANCEL_WINDOW_MS - 1 })).toEqual({
      kind: "duplicate",
      turnId: "turn_a",
    });
  });

  it("after the window, with a later turn running, or with no cancel before, an unnamed cancel means the running turn, or nothing", () => {
    expect(aimOfCancel({ named: undefined, running: "turn_c", lastEnded, now: 1_010 })).toEqual({ kind: "turn", turnId: "turn_c" });
    expect(aimOfCancel({ named: undefined, running: null, lastEnded, now: 1_010 })).toEqual({ kind: "none" });
    expect(aimOfCancel({ named: undefined, running: "turn_b", lastEnded, now: 1_000 + DUPLICATE_CANCEL_WINDOW_MS })).toEqual({
      kind: "turn",
      turnId: "turn_b",
    });
    expect(aimOfCancel({ named: undefined, running: "turn_b", lastEnded: null, now: 5 })).toEqual({ kind: "turn", turnId: "turn_b" });
    expect(aimOfCancel({ named: undefined, running: null, lastEnded: null, now: 5 })).toEqual({ kind: "none" });
  });
});

describe("what a cancel answers for a turn that no longer runs", () => {
  it("is cancelled only when that turn ended as cancelled", () => {
    expect(answerForEnded("turn.cancelled")).toBe("cancelled");
    for (const ended of ["turn.completed", "turn.failed", null]) expect(answerForEnded(ended), String(ended)).toBe("no_op");
  });
});

describe("what a cancel does to the running turn", () => {
  it("ends a parked turn now, unless its end is being written", () => {
    expect(cancelAction({ parked: true, finishing: false, abortReason: null })).toBe("end_parked");
    expect(cancelAction({ parked: true, finishing: true, abortReason: null })).toBe("no_op");
  });

  it("aborts a working turn, and a repeat waits for the same end", () => {
    expect(cancelAction({ parked: false, finishing: false, abortReason: null })).toBe("abort");
    expect(cancelAction({ parked: false, finishing: false, abortReason: "cancelled" })).toBe("await_end");
    expect(cancelAction({ parked: false, finishing: true, abortReason: "cancelled" })).toBe("await_end");
  });

  it("is a no-op too late (the end is being written) or after another abort (deadline, delete)", () => {
    expect(cancelAction({ parked: false, finishing: true, abortReason: null })).toBe("no_op");
    expect(cancelAction({ parked: false, finishing: false, abortReason: "deadline" })).toBe("no_op");
    expect(cancelAction({ parked: false, finishing: false, abortReason: "deleted" })).toBe("no_op");
  });
});
