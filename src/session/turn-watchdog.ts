import { type ActiveTurn, waitedMs } from "./active-turns";
import type { TurnSettings } from "./settings";

/**
 * What the watchdog does and when it looks next, decided without storage or clock: the controller
 * (turns.ts) passes what it holds and what storage says, and carries out the answer.
 */

/** The turn this instance holds, as the watchdog sees it. */
export interface WatchedTurn {
  /** Waiting for its client: nothing of it runs. */
  parked: boolean;
  /** Its end was decided but storage refused to write it. */
  unwritten: boolean;
  /** When its abort was sent (ms since the epoch), or null. */
  abortedAt: number | null;
  /** When it started (ms since the epoch). */
  startedAt: number;
}

export type WatchdogAction =
  /** No turn anywhere: start the oldest queued input, if one waits (its start failed earlier). */
  | "start_next"
  /** Write the turn's end again (storage refused it). */
  | "write_end"
  /** A parked turn's client took too long: end it as `tool_results_timeout`. */
  | "end_wait_timed_out"
  /** A parked turn's call waited for approval past its time: reject it (`tool_approval_timeout`), and go on if nothing else waits. */
  | "expire_approvals"
  /** Aborted a watchdog period ago and still running (its work ignores the signal): end it without its work. */
  | "force_end"
  /** Past its deadline (its waits for the client not counted): abort it. */
  | "abort_deadline"
  | "nothing";

/** What a parked turn waits for. */
interface ParkedWaits {
  /** When the first call waiting for approval expires (ms since the epoch), or null when none waits. */
  approvalExpiry: number | null;
  /** Whether a client-side call still has no result (only then does TOOL_RESULTS_TIMEOUT_MS apply). */
  forClient: boolean;
}

const CLIENT_ONLY: ParkedWaits = { approvalExpiry: null, forClient: true };

export interface WatchdogInput {
  /** The turn this instance holds, or null. */
  turn: WatchedTurn | null;
  /** What a parked turn waits for (default: its client only). */
  waits?: ParkedWaits;
  /** The turn as stored (null: none recorded). */
  stored: Pick<ActiveTurn, "waitingSince" | "waitedMs"> | null;
  now: number;
  settings: Pick<TurnSettings, "deadlineMs" | "watchdogMs" | "toolResultsTimeoutMs">;
}

/** What the watchdog does when the object's alarm fires. */
export function watchdogAction({ turn, stored, waits = CLIENT_ONLY, now, settings }: WatchdogInput): WatchdogAction {
  // A turn recorded but not held here is recover()'s to end, not the watchdog's.
  if (!turn) return stored ? "nothing" : "start_next";
  if (turn.unwritten) return "write_end";
  if (turn.parked) {
    if (waits.approvalExpiry !== null && now >= waits.approvalExpiry) return "expire_approvals";
    const since = stored?.waitingSince ?? null;
    return waits.forClient && since !== null && now - since >= settings.toolResultsTimeoutMs ? "end_wait_timed_out" : "nothing";
  }
  if (turn.abortedAt !== null && now - turn.abortedAt >= settings.watchdogMs) return "force_end";
  const waited = stored ? waitedMs(stored, now) : 0;
  return now - turn.startedAt - waited >= settings.deadlineMs ? "abort_deadline" : "nothing";
}

export interface NextWatchInput {
  /** Whether a turn runs, is parked, or is recorded as running. */
  busy: boolean;
  /** The session is being deleted: nothing starts any more. */
  closed: boolean;
  /** Whether inputs wait in the queue. */
  queued: boolean;
  /** The turn this instance holds, or null. */
  turn: Pick<WatchedTurn, "parked" | "unwritten"> | null;
  /** Since when the stored turn waits for its client, or null. */
  waitingSince: number | null;
  /** What a parked turn waits for (default: its client only). */
  waits?: ParkedWaits;
  now: number;
  settings: Pick<TurnSettings, "watchdogMs" | "toolResultsTimeoutMs">;
}

/**
 * When the watchdog must look next, or null: a working turn every watchdog period; a parked one
 * only when its wait for the client times out or a call's wait for approval ends, whichever comes
 * first (nothing else can change meanwhile but a request, which wakes the object anyway); with no
 * turn, soon if inputs wait (their start failed), else never.
 */
export function nextWatch({ busy, closed, queued, turn, waitingSince, waits = CLIENT_ONLY, now, settings }: NextWatchInput): number | null {
  if (!busy) return !closed && queued ? now + settings.watchdogMs : null;
  const parkedSince = turn?.parked && !turn.unwritten ? waitingSince : null;
  if (parkedSince === null) return now + settings.watchdogMs;
  const due = [waits.approvalExpiry, waits.forClient ? parkedSince + settings.toolResultsTimeoutMs : null].filter(
    (t): t is number => t !== null,
  );
  return due.length > 0 ? Math.max(now, Math.min(...due)) : now + settings.watchdogMs;
}
