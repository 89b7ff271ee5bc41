import { and, asc, desc, eq, gt, inArray, lt, notInArray, type SQL } from "drizzle-orm";
import type { Database } from "../db/client";
import { events } from "../db/schema";
import { ApiError } from "../lib/errors";
import { idFormatMessage, isId } from "../lib/ids";
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
  if (!isId("event", eventId)) throw new ApiError("invalid_cursor", { errors: [{ path, message: idFormatMessage("event") }] });
  const row = await db.select({ sequence: events.sequence }).from(events).where(and(eq(events.id, eventId), eq(events.sessionId, sessionId))).get();
  if (!row) throw new ApiError("invalid_cursor", { errors: [{ path, message: "Not an event of this session" }] });
  return row.sequence;
}

export interface EventPage {
  afterSequence: number;
  beforeSequence?: number | undefined;
  limit: number;
  /** Only these types (empty or absent: all), then not these. */
  types?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
}

/**
 * Stored events of a session, oldest first: after `afterSequence`, or with `beforeSequence`
 * the newest `limit` before it (a backward page). The type filter is part of the query, so a
 * page holds up to `limit` matching events and a short page means there are no more.
 */
export async function listEvents(db: Database, sessionId: string, page: EventPage): Promise<EventEnvelope[]> {
  const filters: SQL[] = [eq(events.sessionId, sessionId), gt(events.sequence, page.afterSequence)];
  if (page.beforeSequence !== undefined) filters.push(lt(events.sequence, page.beforeSequence));
  if (page.types && page.types.length > 0) filters.push(inArray(events.type, [...page.types]));
  if (page.exclude && page.exclude.length > 0) filters.push(notInArray(events.type, [...page.exclude]));
  const backward = page.beforeSequence !== undefined;
  const rows = await db
    .select()
    .from(events)
    .where(and(...filters))
    .orderBy(backward ? desc(events.sequence) : asc(events.sequence))
    .limit(page.limit);
  if (backward) rows.reverse();
  return rows.map(toEvent);
}
