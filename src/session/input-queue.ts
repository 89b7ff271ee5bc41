import { asc, count, eq } from "drizzle-orm";
import type { SessionDb } from "./db/client";
import { queue } from "./db/schema";

/** A user message waiting for its turn, with the model it asked for. */
export interface QueuedInput {
  messageId: string;
  modelId: string | null;
}

/** The session's FIFO of inputs waiting behind the running turn, in its own table. */
export class InputQueue {
  readonly #db: SessionDb;

  constructor(db: SessionDb) {
    this.#db = db;
  }

  push(item: QueuedInput): void {
    this.#db.insert(queue).values({ messageId: item.messageId, modelId: item.modelId }).run();
  }

  /** The oldest input, or null when none waits; it stays queued until `remove` (in the write that starts its turn). */
  peek(): QueuedInput | null {
    const first = this.#db.select().from(queue).orderBy(asc(queue.position)).limit(1).get();
    return first ? { messageId: first.messageId, modelId: first.modelId } : null;
  }

  remove(messageId: string): void {
    this.#db.delete(queue).where(eq(queue.messageId, messageId)).run();
  }

  get size(): number {
    return this.#db.select({ n: count() }).from(queue).get()?.n ?? 0;
  }

  /** The ids of the waiting messages (the conversation leaves them out: they get their own turn). */
  messageIds(): Set<string> {
    return new Set(
      this.#db
        .select({ id: queue.messageId })
        .from(queue)
        .all()
        .map((r) => r.id),
    );
  }
}
