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

  /** Removes and returns the oldest input, or null when none waits. */
  shift(): QueuedInput | null {
    const first = this.#db.select().from(queue).orderBy(asc(queue.position)).limit(1).get();
    if (!first) return null;
    this.#db.delete(queue).where(eq(queue.position, first.position)).run();
    return { messageId: first.messageId, modelId: first.modelId };
  }

  get size(): number {
    return this.#db.select({ n: count() }).from(queue).get()?.n ?? 0;
  }

  /** The ids of the waiting messages (the conversation leaves them out: they get their own turn). */
  messageIds(): Set<string> {
    return new Set(this.#db.select({ id: queue.messageId }).from(queue).all().map((r) => r.id));
  }
}
