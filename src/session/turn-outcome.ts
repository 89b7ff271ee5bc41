import type { LlmError, LlmUsage } from "../llm/types";
import type { TurnProgress } from "./active-turns";

/**
 * What ends a turn, decided without storage: the outcomes a turn can have, how an abort, an error,
 * a restart or a client that never answered ends it, and which of two endings wins when a cancel
 * races the turn's own end. The controller (turns.ts) writes what these decide.
 */

/** Why a turn's signal was aborted. */
export type AbortReason = "cancelled" | "deadline" | "deleted";

export class TurnAbort extends Error {
  readonly reason: AbortReason;
  constructor(reason: AbortReason) {
    super(`turn aborted: ${reason}`);
    this.name = "TurnAbort";
    this.reason = reason;
  }
}

export type TurnErrorCode =
  | LlmError["code"]
  | "max_iterations"
  | "tool_failed"
  | "turn_timeout"
  | "tool_results_timeout"
  | "interrupted"
  | "internal_error";

export type TurnOutcome =
  | { kind: "completed"; iterations: number; usage: LlmUsage }
  | { kind: "failed"; iterations: number; usage: LlmUsage; errorCode: TurnErrorCode; error: string }
  | { kind: "cancelled"; iterations: number; usage: LlmUsage }
  | { kind: "deleted" }
  /** The turn waits for client-side tool results: parked in storage, it goes on when they come. */
  | { kind: "waiting"; iterations: number; usage: LlmUsage };

/** Safe sentences for turn.failed; provider messages stay in the logs. */
const FAILURE_TEXT: Record<TurnErrorCode, string> = {
  llm_auth_failed: "The model provider rejected the credentials",
  llm_rate_limited: "The model provider is rate limiting requests; try again later",
  llm_unavailable: "The model provider is unavailable; try again later",
  llm_bad_response: "The model provider sent a response that could not be read",
  llm_timeout: "The model provider did not answer in time",
  max_iterations: "The turn reached its iteration limit",
  tool_failed: "A tool failed unexpectedly",
  turn_timeout: "The turn passed its deadline",
  tool_results_timeout: "The client did not post the results of its tool calls in time",
  interrupted: "The turn was interrupted by a restart of its session object",
  internal_error: "The turn failed because of an internal error",
};

export function failureText(code: TurnErrorCode): string {
  return FAILURE_TEXT[code];
}

/** How a turn whose signal was aborted ends: deleted (nothing written), cancelled, or past its deadline. */
export function outcomeOfAbort(abort: TurnAbort, iterations: number, usage: LlmUsage): Exclude<TurnOutcome, { kind: "waiting" }> {
  if (abort.reason === "deleted") return { kind: "deleted" };
  if (abort.reason === "cancelled") return { kind: "cancelled", iterations, usage };
  return { kind: "failed", iterations, usage, errorCode: "turn_timeout", error: failureText("turn_timeout") };
}

/** How a turn ends (a parked turn, `waiting`, has not ended). */
export type Ending = Exclude<TurnOutcome, { kind: "waiting" }>;

/** A turn that failed with `code`, having spent `progress`. */
export function failed(code: TurnErrorCode, progress: TurnProgress): Ending {
  return { kind: "failed", iterations: progress.iterations, usage: progress.usage, errorCode: code, error: failureText(code) };
}

/** How a turn whose signal was aborted ends, having spent `progress`. */
export function endingOfAbort(abort: TurnAbort, progress: TurnProgress): Ending {
  return outcomeOfAbort(abort, progress.iterations, progress.usage);
}

/**
 * What a turn's work came to once its abort is weighed: a cancel that arrived before the end was
 * written wins over whatever the work returned (so the caller's "cancelled" and the stream agree),
 * keeping what the work spent. A delete is never overruled.
 */
export function afterAbort(outcome: TurnOutcome, abort: TurnAbort | null): TurnOutcome {
  if (abort?.reason !== "cancelled" || outcome.kind === "deleted") return outcome;
  return outcomeOfAbort(abort, outcome.iterations, outcome.usage);
}

/** What a turn whose work threw ends as: its abort's ending when it was aborted, else `internal_error`. */
export function endingOfError(abort: TurnAbort | null, start: TurnProgress): Ending {
  return abort ? endingOfAbort(abort, start) : failed("internal_error", start);
}
