import { asc, count, eq } from "drizzle-orm";
import type { z } from "@hono/zod-openapi";
import type { Database } from "../db/client";
import { messages } from "../db/schema";
import type { ContentPart, MessageSchema } from "../schemas/messages";

export type MessageRow = typeof messages.$inferSelect;
export type Message = z.infer<typeof MessageSchema>;

/** The one mapping from a message row to the API object. */
export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    session_id: row.sessionId,
    sequence: row.sequence,
    role: row.role,
    content: row.content as ContentPart[],
    controls: (row.controls as Message["controls"]) ?? null,
    metadata: row.metadata ?? null,
    created_at: row.createdAt,
  };
}

/** All of a session's messages in order (the turn's conversation). The caller has checked the session's org. */
export function listMessages(db: Database, sessionId: string) {
  return db.select().from(messages).where(eq(messages.sessionId, sessionId)).orderBy(asc(messages.sequence));
}

/**
 * A page of a session's messages, oldest first by sequence (unique per session, so pages never
 * overlap); rows and total from one batch. The caller has checked the session's org.
 */
export async function listMessagePage(
  db: Database,
  sessionId: string,
  page: { offset: number; limit: number },
): Promise<{ data: Message[]; total: number; offset: number; limit: number }> {
  const where = eq(messages.sessionId, sessionId);
  const [rows, totals] = await db.batch([
    db.select().from(messages).where(where).orderBy(asc(messages.sequence)).limit(page.limit).offset(page.offset),
    db.select({ total: count() }).from(messages).where(where),
  ]);
  return { data: rows.map(toMessage), total: totals[0]?.total ?? 0, offset: page.offset, limit: page.limit };
}
