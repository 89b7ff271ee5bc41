import { and, desc, eq, inArray } from "drizzle-orm";
import type { Database } from "../db/client";
import { events, sessions } from "../db/schema";
import { nowIso } from "../lib/time";
import type { EventLog } from "./event-log";
import type { EventContext, EventDraft, EventType } from "./event-types";
import type { TurnOutcome } from "./turn-runner";

/** The running turn as stored: what an object restarted mid-turn finds and ends as `interrupted`. */
export interface ActiveTurn {
  turnId: string;
  inputMessageId: string;
  modelId: string | null;
  startedAt: number;
  /** How the turn ended, kept when D1 failed while its terminal event was written, so the retry writes the truth. */
  outcome?: TurnOutcome;
}

const TERMINAL_EVENT_TYPES: EventType[] = ["turn.completed", "turn.failed", "turn.cancelled"];

/** Whether the session's last terminal event in D1 belongs to this turn. */
export async function turnHasEnded(db: Database, sessionId: string, turnId: string): Promise<boolean> {
  const last = await db
    .select({ context: events.context })
    .from(events)
    .where(and(eq(events.sessionId, sessionId), inArray(events.type, TERMINAL_EVENT_TYPES)))
    .orderBy(desc(events.sequence))
    .limit(1)
    .get();
  return last?.context.turn_id === turnId;
}

/**
 * Writes a turn's one terminal event — plus `session.completed` when nothing is queued — with the
 * session's status and usage, in one batch. False when the session row is gone (deleted).
 */
export async function writeTurnEnd(
  db: Database,
  log: EventLog,
  sessionId: string,
  active: ActiveTurn,
  outcome: Exclude<TurnOutcome, { kind: "deleted" }>,
  hasQueued: () => boolean,
): Promise<boolean> {
  const context: EventContext = { turn_id: active.turnId, input_message_id: active.inputMessageId };
  const usage = { input_tokens: outcome.usage.inputTokens, output_tokens: outcome.usage.outputTokens };
  const base = { turn_id: active.turnId, iterations: outcome.iterations, duration_ms: Date.now() - active.startedAt, usage };
  const drafts: EventDraft[] = [];
  if (outcome.kind === "completed") drafts.push({ type: "turn.completed", context, data: base });
  else if (outcome.kind === "cancelled") drafts.push({ type: "turn.cancelled", context, data: base });
  else drafts.push({ type: "turn.failed", context, data: { ...base, error: outcome.error, error_code: outcome.errorCode } });

  const session = await db.select().from(sessions).where(eq(sessions.id, sessionId)).get();
  if (!session) return false;
  const totals = { input_tokens: session.inputTokens + usage.input_tokens, output_tokens: session.outputTokens + usage.output_tokens };
  const now = nowIso();
  // Asked after the read above: a message queued meanwhile means the session is not done.
  const queued = hasQueued();
  if (!queued) drafts.push({ type: "session.completed", context, data: { status: "idle", usage: totals } });
  await log.append(drafts, () => [
    db
      .update(sessions)
      .set({
        status: queued ? "active" : "idle",
        inputTokens: totals.input_tokens,
        outputTokens: totals.output_tokens,
        startedAt: session.startedAt ?? new Date(active.startedAt).toISOString(),
        finishedAt: queued ? session.finishedAt : now,
        updatedAt: now,
      })
      .where(eq(sessions.id, sessionId)),
  ]);
  return true;
}
