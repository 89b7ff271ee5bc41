import type { CancelTarget } from "./rpc";
import type { AbortReason } from "./turn-outcome";

/**
 * What a cancel means and does, decided without storage: the controller (turns.ts) passes the turn
 * it holds and a way to ask the event log, and carries out the answer.
 */

/**
 * The turn a cancel is aimed at: the one it names; else the one running when the request arrived.
 * That is the running turn if it had started by then, else the turn that was running then and has
 * ended since (`endedSince` asks the event log; it is asked only then), else none: an unnamed
 * cancel never reaches a turn that started after it arrived.
 */
export function cancelAim(target: CancelTarget, running: { turnId: string; startedAt: number } | null, endedSince: (time: number) => string | null): string | null {
  if (target.turnId !== undefined) return target.turnId;
  if (running && running.startedAt <= target.requestedAt) return running.turnId;
  return endedSince(target.requestedAt);
}

/** What a cancel answers for a turn that no longer runs: cancelled only when that turn ended as cancelled (a repeat of the cancel that ended it). */
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
