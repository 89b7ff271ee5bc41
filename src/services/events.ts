import { and, asc, desc, eq, gt, lt, type SQL } from "drizzle-orm";
import type { Database } from "../db/client";
import { events } from "../db/schema";
import { ApiError } from "../lib/errors";
import { isId } from "../lib/ids";
import type { EventEnvelope } from "../session/event-types";

type EventRow = typeof events.$inferSelect;

/** The one mapping from a stored event to its envelope. */
export function toEvent(row: EventRow): EventEnvelope {
  return {
    id: row.id,
    type: row.type as EventEnvelope["type"],
    ts: row.ts,
    session_id: row.sessionId,
    sequence: row.sequence,
    context: { turn_id: row.context.turn_id ?? null, input_message_id: row.context.input_message_id ?? null },
    data: row.data,
  };
}

/** The sequence of a resume cursor. An id that is not an event of this session is a 400, never a silent full replay. */
export async function cursorSequence(db: Database, sessionId: string, eventId: string | undefined, path: string): Promise<number> {
  if (eventId === undefined) return 0;
  if (!isId("event", eventId)) throw new ApiError("invalid_cursor", { errors: [{ path, message: "Must be an event_ id" }] });
  const row = await db.select({ sequence: events.sequence }).from(events).where(and(eq(events.id, eventId), eq(events.sessionId, sessionId))).get();
  if (!row) throw new ApiError("invalid_cursor", { errors: [{ path, message: "Not an event of this session" }] });
  return row.sequence;
}

/**
 * Stored events of a session, oldest first: after `afterSequence`, or with `beforeSequence`
 * the newest `limit` before it (a backward page), filtered by type.
 */
export async function listEvents(
  db: Database,
  sessionId: string,
  page: { afterSequence: number; beforeSequence?: number | undefined; limit: number; allow: (type: string) => boolean },
): Promise<EventEnvelope[]> {
  const filters: SQL[] = [eq(events.sessionId, sessionId), gt(events.sequence, page.afterSequence)];
  if (page.beforeSequence !== undefined) filters.push(lt(events.sequence, page.beforeSequence));
  const backward = page.beforeSequence !== undefined;
  const rows = await db
    .select()
    .from(events)
    .where(and(...filters))
    .orderBy(backward ? desc(events.sequence) : asc(events.sequence))
    .limit(page.limit);
  if (backward) rows.reverse();
  return rows.map(toEvent).filter((e) => page.allow(e.type));
}
