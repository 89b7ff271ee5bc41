import { describe, expect, it } from "vitest";
import { afterAbort, endingOfAbort, endingOfError, failed, failureText, TurnAbort, type TurnOutcome } from "../../src/session/turn-outcome";

const spent = { iterations: 2, usage: { inputTokens: 30, outputTokens: 7 } };

describe("what ends a turn", () => {
  it("an abort: a delete writes nothing, a cancel is cancelled, the deadline is turn_timeout, each keeping what was spent", () => {
    expect(endingOfAbort(new TurnAbort("deleted"), spent)).toEqual({ kind: "deleted" });
    expect(endingOfAbort(new TurnAbort("cancelled"), spent)).toEqual({ kind: "cancelled", ...spent });
    expect(endingOfAbort(new TurnAbort("deadline"), spent)).toEqual({
      kind: "failed",
      ...spent,
      errorCode: "turn_timeout",
      error: failureText("turn_timeout"),
    });
  });

  it("work that threw: its abort's ending when aborted, else internal_error with the starting progress", () => {
    expect(endingOfError(new TurnAbort("cancelled"), spent)).toEqual({ kind: "cancelled", ...spent });
    expect(endingOfError(null, spent)).toEqual({
      kind: "failed",
      ...spent,
      errorCode: "internal_error",
      error: failureText("internal_error"),
    });
  });

  it("a restart or a client that never answered: failed with that code and the stored progress", () => {
    expect(failed("interrupted", spent)).toEqual({ kind: "failed", ...spent, errorCode: "interrupted", error: failureText("interrupted") });
    expect(failed("tool_results_timeout", spent).kind).toBe("failed");
  });

  it("a cancel that came before the end was written wins over what the work returned, keeping what it spent", () => {
    const outcomes: TurnOutcome[] = [
      { kind: "completed", ...spent },
      { kind: "failed", ...spent, errorCode: "llm_unavailable", error: failureText("llm_unavailable") },
      { kind: "waiting", ...spent },
    ];
    for (const outcome of outcomes)
      expect(afterAbort(outcome, new TurnAbort("cancelled")), outcome.kind).toEqual({ kind: "cancelled", ...spent });
  });

  it("nothing else overrules the work's outcome: no abort, a deadline abort, or a delete", () => {
    const completed: TurnOutcome = { kind: "completed", ...spent };
    expect(afterAbort(completed, null)).toBe(completed);
    expect(afterAbort(completed, new TurnAbort("deadline"))).toBe(completed);
    expect(afterAbort({ kind: "deleted" }, new TurnAbort("cancelled"))).toEqual({ kind: "deleted" });
  });
});
