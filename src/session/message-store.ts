import { asc, count, desc, lt } from "drizzle-orm";
import { newId } from "../lib/ids";
import { nowIso } from "../lib/time";
import { type ContentPart, type Message, type MessageControls, toMessage } from "../schemas/messages";
import type { SessionDb } from "./db/client";
import { messages } from "./db/schema";
import type { AlsoWrite, EventLog } from "./event-log";
import type { EventContext } from "./events";

export type MessageRow = typeof messages.$inferSelect;

export interface NewMessage {
  role: MessageRow["role"];
  content: ContentPart[];
  controls?: MessageControls | null;
  metadata?: Record<string, unknown> | null;
  /** Give an id chosen earlier (the id deltas of a streamed reply already used). */
  id?: string;
}

/**
 * Stores messages with their `message.created` events in one transaction: each row's `sequence`
 * is its event's sequence, so a client can subscribe from exactly there. `alsoWrite` adds rows
 * to the same transaction (the session's `updated_at`).
 */
export function storeMessages(
  db: SessionDb,
  log: EventLog,
  sessionId: string,
  context: EventContext,
  input: NewMessage[],
  alsoWrite?: AlsoWrite,
): Message[] {
  const createdAt = nowIso();
  const rows = input.map((m) => ({
    id: m.id ?? newId("message"),
    role: m.role,
    content: m.content,
    controls: m.controls ?? null,
    metadata: m.metadata ?? null,
    createdAt,
  }));
  const envelopes = log.append(
    rows.map((row) => ({
      type: "message.created",
      context,
      data: (sequence: number) => ({ message: toMessage({ ...row, sequence }, sessionId) }),
    })),
    (written) => {
      for (const [i, row] of rows.entries())
        db.insert(messages)
          .values({ ...row, sequence: written[i]?.sequence ?? 0 })
          .run();
      alsoWrite?.(written);
    },
  );
  return envelopes.map((e) => e.data["message"] as Message);
}

/** Up to `limit` messages before `sequence`, newest first (a search on the sequence index). */
export function messagesBefore(db: SessionDb, sequence: number, limit: number): MessageRow[] {
  return db.select().from(messages).where(lt(messages.sequence, sequence)).orderBy(desc(messages.sequence)).limit(limit).all();
}

/** How many messages the session holds. */
export function messageCount(db: SessionDb): number {
  return db.select({ n: count() }).from(messages).get()?.n ?? 0;
}

/** A page of messages, oldest first by sequence (unique, so pages never overlap), with the total. */
export function messagePage(db: SessionDb, sessionId: string, page: { offset: number; limit: number }) {
  const rows = db.select().from(messages).orderBy(asc(messages.sequence)).limit(page.limit).offset(page.offset).all();
  const total = messageCount(db);
  return { data: rows.map((r) => toMessage(r, sessionId)), total, offset: page.offset, limit: page.limit };
}
