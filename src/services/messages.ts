import { and, asc, eq } from "drizzle-orm";
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

/** A session's messages in order. The caller has already checked the session belongs to the org. */
export async function listMessages(db: Database, sessionId: string): Promise<MessageRow[]> {
  return db.select().from(messages).where(and(eq(messages.sessionId, sessionId))).orderBy(asc(messages.sequence));
}
