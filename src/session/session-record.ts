import { eq, sql } from "drizzle-orm";
import type { SessionDb } from "./db/client";
import { session } from "./db/schema";

export type SessionRecord = typeof session.$inferSelect;
export type NewSessionRecord = Pick<
  SessionRecord,
  "id" | "orgId" | "agentId" | "title" | "tags" | "modelId" | "locale" | "capabilities" | "tools" | "parallelToolCalls" | "createdAt"
>;
/** The fields the D1 index shows, which a change may set. */
export type SessionChange = Partial<
  Pick<SessionRecord, "title" | "tags" | "status" | "inputTokens" | "outputTokens" | "updatedAt" | "startedAt" | "finishedAt">
>;

/** The session's own row in its object: what it is, its status and usage, and how far the D1 index has caught up. */
export class SessionRecords {
  readonly #db: SessionDb;

  constructor(db: SessionDb) {
    this.#db = db;
  }

  get(): SessionRecord | null {
    return this.#db.select().from(session).limit(1).get() ?? null;
  }

  create(values: NewSessionRecord): SessionRecord {
    return this.#db
      .insert(session)
      .values({ ...values, status: "started", updatedAt: values.createdAt, version: 1, indexedVersion: 0 })
      .returning()
      .get();
  }

  /** Applies a change the index shows and bumps the version, so the index writer knows it is behind. */
  change(id: string, set: SessionChange): SessionRecord {
    return this.#db
      .update(session)
      .set({ ...set, version: sql`${session.version} + 1` })
      .where(eq(session.id, id))
      .returning()
      .get() as SessionRecord;
  }

  /** Records that the index holds `version` (never moves backwards). */
  markIndexed(id: string, version: number): void {
    this.#db
      .update(session)
      .set({ indexedVersion: sql`max(${session.indexedVersion}, ${version})` })
      .where(eq(session.id, id))
      .run();
  }

  /** Marks the session deleted: from now on it answers as if it did not exist. */
  tombstone(id: string, at: string): void {
    this.#db.update(session).set({ deletedAt: at }).where(eq(session.id, id)).run();
  }
}
