import { and, eq, lt } from "drizzle-orm";
import { IDEMPOTENCY_TTL_MS } from "../lib/idempotency-ttl";
import { type Message, toMessage } from "../schemas/messages";
import type { SessionDb } from "./db/client";
import { idempotentMessages, messages } from "./db/schema";
import type { MessageIdempotency } from "./rpc";

/**
 * The Idempotency-Keys of a session's posted messages, in the object's storage: the object stores
 * a message and its key in one step, so a retry (even one racing the first request) finds either
 * nothing or the stored message, never a half-made one.
 */
export class IdempotentMessages {
  readonly #db: SessionDb;

  constructor(db: SessionDb) {
    this.#db = db;
  }

  /** The message stored under this key, `"reused"` for a key sent with another request, or null for a new key. */
  find(request: MessageIdempotency, sessionId: string): Message | "reused" | null {
    this.#db
      .delete(idempotentMessages)
      .where(lt(idempotentMessages.createdAt, Date.now() - IDEMPOTENCY_TTL_MS))
      .run();
    const row = this.#db
      .select()
      .from(idempotentMessages)
      .where(and(eq(idempotentMessages.caller, request.caller), eq(idempotentMessages.key, request.key)))
      .get();
    if (!row) return null;
    if (row.requestHash !== request.requestHash) return "reused";
    const message = this.#db.select().from(messages).where(eq(messages.id, row.messageId)).get();
    return message ? toMessage(message, sessionId) : null;
  }

  /** Remembers the key of a message stored now (call it in the message's transaction). */
  remember(request: MessageIdempotency, messageId: string): void {
    this.#db
      .insert(idempotentMessages)
      .values({ ...request, messageId, createdAt: Date.now() })
      .run();
  }
}
