import { nowIso } from "../lib/time";
import type { ActiveTurn, ActiveTurns } from "./active-turns";
import type { EventLog } from "./event-log";
import type { EventContext, EventDraft } from "./events";
import type { SessionRecords } from "./session-record";
import type { Ending } from "./turn-outcome";

export interface TurnEndStores {
  active: Pick<ActiveTurns, "end">;
  log: EventLog;
  records: SessionRecords;
  sessionId: string;
  /** Forgets the turn's client-side tool calls (in the same transaction). */
  clientTools: { clear(): void };
  /** Closes the turn's calls still waiting for approval (in the same transaction). */
  approvals?: { closeOpen(): void };
}

/**
 * Writes a turn's one terminal event — plus `session.completed` when nothing is queued — with the
 * session's status and usage, and forgets the active turn, in one transaction: the terminal event
 * and the end of the turn's record can never be separated by a restart.
 */
export function writeTurnEnd(
  stores: TurnEndStores,
  active: ActiveTurn,
  outcome: Exclude<Ending, { kind: "deleted" }>,
  queued: boolean,
  firstOutputAt: number | null = null,
): void {
  const { log, records, sessionId, clientTools, approvals } = stores;
  const context: EventContext = { turn_id: active.turnId, input_message_id: active.inputMessageId };
  const usage = { input_tokens: outcome.usage.inputTokens, output_tokens: outcome.usage.outputTokens };
  const base = { turn_id: active.turnId, iterations: outcome.iterations, duration_ms: Date.now() - active.startedAt, usage };
  const drafts: EventDraft[] = [];
  if (outcome.kind === "completed")
    drafts.push({ type: "turn.completed", context, data: { ...base, ...completionFacts(log, active, outcome.iterations, firstOutputAt) } });
  else if (outcome.kind === "cancelled") drafts.push({ type: "turn.cancelled", context, data: base });
  else drafts.push({ type: "turn.failed", context, data: { ...base, error: outcome.error, error_code: outcome.errorCode } });

  const record = records.get();
  if (!record) throw new Error("the session record is missing");
  const totals = { input_tokens: record.inputTokens + usage.input_tokens, output_tokens: record.outputTokens + usage.output_tokens };
  if (!queued) drafts.push({ type: "session.completed", context, data: { status: "idle", usage: totals } });
  const now = nowIso();
  log.append(drafts, () => {
    records.change(sessionId, {
      status: queued ? "active" : "idle",
      inputTokens: totals.input_tokens,
      outputTokens: totals.output_tokens,
      startedAt: record.startedAt ?? new Date(active.startedAt).toISOString(),
      finishedAt: queued ? record.finishedAt : now,
      updatedAt: now,
    });
    stores.active.end();
    clientTools.clear();
    approvals?.closeOpen();
  });
}

/**
 * Upstream's summary fields of `turn.completed`: first-token latency (null when this instance of
 * the object did not see the turn's first output, e.g. it was evicted while the turn waited for
 * its client), model calls, tool calls that finished, and the final reply's message id.
 */
function completionFacts(log: EventLog, active: ActiveTurn, iterations: number, firstOutputAt: number | null) {
  const { toolResults, finalMessageId } = log.turnSummary(active.turnId);
  return {
    time_to_first_token_ms: firstOutputAt === null ? null : Math.max(0, firstOutputAt - active.startedAt),
    llm_call_count: iterations,
    tool_call_count: toolResults,
    final_message_id: finalMessageId,
  };
}
