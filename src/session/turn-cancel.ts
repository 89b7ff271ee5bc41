import type { AbortReason } from "./turn-outcome";

/**
 * What a cancel means and does, decided without storage: the controller (turns.ts) passes the turn
 * it holds and the last turn a cancel ended, and carries out the answer.
 */

/**
 * How long after a cancel ended a turn an unnamed cancel that finds the next queued turn running is
 * taken as a duplicate of it (answered `cancelled`, touching nothing). A double click, or a retry
 * of a cancel whose answer was slow, reaches the session after the first one ended the turn and
 * the next queued turn started; by this rule it cannot end that next turn. Measured on the
 * session object's own clock only.
 */
export const DUPLICATE_CANCEL_WINDOW_MS = 2_000;

/** The last turn a cancel ended, when (the session object's clock, ms), and the queued turn that started right after it. */
export interface EndedByCancel {
  turnId: string;
  at: number;
  next: string | null;
}

/** What a cancel is aimed at: a turn to cancel, a duplicate of the cancel that ended `turnId`, or nothing. */
export type CancelAim = { kind: "turn"; turnId: string } | { kind: "duplicate"; turnId: string } | { kind: "none" };

/**
 * Which turn a cancel means. A named one means its turn. An unnamed one means the turn running
 * when it reaches the session, unless that turn is the one that started when a cancel ended the
 * turn before it, less than `windowMs` ago: then it is that cancel again.
 */
export function aimOfCancel(input: {
  named: string | undefined;
  running: string | null;
  lastEnded: EndedByCancel | null;
  now: number;
  windowMs?: number;
}): CancelAim {
  if (input.named !== undefined) return { kind: "turn", turnId: input.named };
  const { lastEnded } = input;
  if (input.running === null) return { kind: "none" };
  const recent = lastEnded !== null && input.now - lastEnded.at < (input.windowMs ?? DUPLICATE_CANCEL_WINDOW_MS);
  if (recent && lastEnded.next === input.running) return { kind: "duplicate", turnId: lastEnded.turnId };
  return { kind: "turn", turnId: input.running };
}

/**
 * What a cancel answers for a turn that no longer runs: cancelled only when that turn ended as
 * cancelled (a repeat of the cancel that ended it).
 */
export function answerForEnded(endedAs: string | null): "cancelled" | "no_op" {
  return endedAs === "turn.cancelled" ? "cancelled" : "no_op";
}

/** The running turn as a cancel sees it. */
export interface CancelledTurn {
  parked: boolean;
  /** Its terminal event is being written. */
  finishing: boolean;
  /** Why it was aborted, or null. */
  abortReason: AbortReason | null;
}

export type CancelAction =
  /** Parked: nothing runs, end it as cancelled now. */
  | "end_parked"
  /** Abort its work as cancelled, then wait for it to end. */
  | "abort"
  /** Already aborted as cancelled (a repeat): wait for the same end. */
  | "await_end"
  /** Too late (its end is being written) or aborted for another reason (deadline, delete). */
  | "no_op";

/** What a cancel does to the running turn it is aimed at. */
export function cancelAction(turn: CancelledTurn): CancelAction {
  if (turn.parked && !turn.finishing) return "end_parked";
  if (turn.abortReason !== null) return turn.abortReason === "cancelled" ? "await_end" : "no_op";
  return turn.finishing ? "no_op" : "abort";
}
