import { describeError, logLine } from "../lib/log";
import { type ActiveTurn, newActiveTurn } from "./active-turns";
import type { QueuedInput } from "./input-queue";
import { writeTurnEnd } from "./turn-end";
import type { Running, TurnHost } from "./turn-host";
import { afterAbort, type Ending, endingOfError, type TurnOutcome } from "./turn-outcome";
import { FRESH_START, type TurnStart } from "./turn-plan";
import { runTurn } from "./turn-runner";
import { assembleTurn, startConfigRead, type TurnConfig } from "./turn-setup";
import { writeTurnStart } from "./turn-start";

type EndingWritten = Exclude<Ending, { kind: "deleted" }>;

/**
 * What the controller (turns.ts) does to a turn, once it has decided to: write its start, run its
 * work to an outcome, write its end. A write that storage refuses is logged and reported, never
 * thrown: the controller keeps what was refused and the watchdog tries again.
 */

/** A turn ready to run: its record, its control-plane read (in flight) and where it starts. */
export interface TurnLaunch {
  active: ActiveTurn;
  config: TurnConfig;
  start: TurnStart;
}

/**
 * Starts a turn for a queued input: the control-plane read (one D1 batch) is sent first, then
 * `turn.started`, the turn's record and the session's status are written locally while it is in
 * flight. The input leaves the queue in that same write; if storage refuses it, the input stays
 * queued and this returns null.
 */
export function beginTurn(host: TurnHost, item: QueuedInput): TurnLaunch | null {
  try {
    const record = host.records.get();
    if (!record) throw new Error("the session record is missing");
    const active = newActiveTurn(item, Date.now());
    const config = startConfigRead(host, active);
    writeTurnStart(host, record, active);
    return { active, config, start: FRESH_START };
  } catch (err) {
    logLine("error", { msg: "could not start turn", session_id: host.sessionId, message_id: item.messageId, error: describeError(err) });
    return null;
  }
}

/**
 * Ends the wait of the parked turn (null when none is parked) and sends its control-plane read:
 * it goes on from its stored progress, with the parked reply's tool results stored first.
 */
export function resumeParked(host: TurnHost): TurnLaunch | null {
  const parked = host.active.current();
  if (!parked || parked.waitingSince === null) return null;
  const active = host.active.stopWaiting() ?? parked;
  return { active, config: startConfigRead(host, active), start: { ...host.active.progress(), resumeTools: true } };
}

/**
 * Assembles the turn and runs it to its outcome. A failure is logged (unless the turn was aborted)
 * and becomes the turn's failure; an abort decides the outcome of work that ended anyway
 * (turn-outcome.ts). Never rejects.
 */
export async function workTurn(host: TurnHost, running: Running, launch: TurnLaunch, onFirstOutput: () => void): Promise<TurnOutcome> {
  const { turn } = running;
  const { config, start } = launch;
  let outcome: TurnOutcome;
  try {
    outcome = await runTurn({ ...(await assembleTurn(host, config, running.active, turn.signal)), onFirstOutput }, start);
  } catch (err) {
    if (!turn.abortReason) logLine("error", { msg: "turn failed", session_id: host.sessionId, error: describeError(err) });
    outcome = endingOfError(turn.abortReason, start);
  }
  return afterAbort(outcome, turn.abortReason);
}

/**
 * Writes the turn's one terminal event (turn-end.ts): false, logged, when storage refused it.
 * `firstOutputAt` is when the model first answered in this turn, if this instance saw it.
 */
export function endTurn(host: TurnHost, active: ActiveTurn, outcome: EndingWritten, firstOutputAt: number | null): boolean {
  try {
    writeTurnEnd(host, active, outcome, host.queue.size > 0, firstOutputAt);
    return true;
  } catch (err) {
    logLine("error", { msg: "could not end turn", session_id: host.sessionId, turn_id: active.turnId, error: describeError(err) });
    return false;
  }
}
