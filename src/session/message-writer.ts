import { eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { messages, sessions } from "../db/schema";
import { newId } from "../lib/ids";
import { nowIso } from "../lib/time";
import type { ContentPart, MessageControls } from "../schemas/messages";
import { toMessage, type Message, type MessageRow } from "../services/messages";
import type { EventLog } from "./event-log";
import type { EventContext } from "./event-types";

export interface NewMessage {
  role: MessageRow["role"];
  content: ContentPart[];
  controls?: MessageControls | null;
  metadata?: Record<string, unknown> | null;
  /** Give an id chosen earlier (the id deltas of a streamed reply already used). */
  id?: string;
}

/**
 * Stores messages and their `message.created` events in one atomic batch: each row's `sequence`
 * is its event's sequence, so a client can subscribe from exactly there.
 */
export async function storeMessages(db: Database, log: EventLog, sessionId: string, context: EventContext, input: NewMessage[]): Promise<Message[]> {
  const createdAt = nowIso();
  const rows = input.map((m) => ({
    id: m.id ?? newId("message"),
    sessionId,
    role: m.role,
    content: m.content,
    controls: m.controls ?? null,
    metadata: m.metadata ?? null,
    createdAt,
  }));
  const envelopes = await log.append(
    rows.map((row) => ({
      type: "message.created",
      context,
      data: (sequence: number) => ({ message: toMessage({ ...row, sequence }) }),
    })),
    (envelopes) => [
      ...rows.map((row, i) => db.insert(messages).values({ ...row, sequence: envelopes[i]?.sequence ?? 0 })),
      db.update(sessions).set({ updatedAt: createdAt }).where(eq(sessions.id, sessionId)),
    ],
  );
  return envelopes.map((e) => e.data.message as Message);
}
