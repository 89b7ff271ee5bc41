import { describe, expect, it } from "vitest";
import { answerForEnded, cancelAction, cancelAim } from "../../src/session/turn-cancel";

const never = () => {
  throw new Error("the event log is asked only when no running turn answers");
};

describe("which turn a cancel means", () => {
  const running = { turnId: "turn_running", startedAt: 1_000 };

  it("is the turn it names, whatever runs", () => {
    expect(cancelAim({ turnId: "turn_named", requestedAt: 5_000 }, running, never)).toBe("turn_named");
    expect(cancelAim({ turnId: "turn_named", requestedAt: 5_000 }, null, never)).toBe("turn_named");
  });

  it("unnamed, is the running turn when it started before the request arrived (or as it arrived)", () => {
    expect(cancelAim({ requestedAt: 5_000 }, running, never)).toBe("turn_running");
    expect(cancelAim({ requestedAt: 1_000 }, running, never)).toBe("turn_running");
  });

  it("unnamed, never reaches a turn that started after it arrived: it asks for the turn running then, which has ended since", () => {
    const asked: number[] = [];
    expect(cancelAim({ requestedAt: 500 }, running, (t) => (asked.push(t), "turn_before"))).toBe("turn_before");
    expect(cancelAim({ requestedAt: 500 }, running, () => null)).toBeNull();
    expect(cancelAim({ requestedAt: 500 }, null, () => null)).toBeNull();
    expect(asked).toEqual([500]);
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
