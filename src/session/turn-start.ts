import { nowIso } from "../lib/time";
import type { ActiveTurn, ActiveTurns } from "./active-turns";
import type { EventLog } from "./event-log";
import type { InputQueue } from "./input-queue";
import type { SessionRecord, SessionRecords } from "./session-record";

export interface TurnStartStores {
  active: Pick<ActiveTurns, "record">;
  log: EventLog;
  queue: Pick<InputQueue, "remove">;
  records: SessionRecords;
  sessionId: string;
}

/**
 * Writes a turn's start in one transaction: `turn.started`, the turn's row, its input leaving the
 * queue and the session's status. A start that storage refuses leaves the input queued.
 */
export function writeTurnStart(stores: TurnStartStores, record: SessionRecord, active: ActiveTurn): void {
  const context = { turn_id: active.turnId, input_message_id: active.inputMessageId };
  const now = nowIso();
  stores.log.append([{ type: "turn.started", context, data: { turn_id: active.turnId, input_message_id: active.inputMessageId } }], () => {
    stores.active.record(active);
    stores.queue.remove(active.inputMessageId);
    // Not a change the index must see at once: it catches up when the session settles (or from the watchdog).
    stores.records.change(stores.sessionId, { status: "active", startedAt: record.startedAt ?? now, updatedAt: now });
  });
}
