import { eq, sql } from "drizzle-orm";
import { createDb } from "../db/client";
import { sessions } from "../db/schema";
import { describeError, logLine } from "../lib/log";
import type { SessionRecord, SessionRecords } from "./session-record";

/**
 * Keeps the session's row in the D1 sessions index in step with the object's own record, off
 * the path clients wait on. Writes are serialized within the object and idempotent: the row
 * carries the version it was written from and an older version never overwrites a newer one.
 * A failed write leaves the record behind the index (`indexed_version < version`); the object's
 * alarm calls `sync` again until it succeeds.
 */
export class SessionIndex {
  readonly #d1: D1Database;
  /** The D1 bookmark after the last index write: a caller that reads from a replica sees the write from it on. */
  #bookmark: string | null = null;
  readonly #records: SessionRecords;
  readonly #sessionId: string;
  /** The write in flight; later requests chain behind it so two writes never race. */
  #tail: Promise<boolean> = Promise.resolve(true);

  constructor(d1: D1Database, records: SessionRecords, sessionId: string) {
    this.#d1 = d1;
    this.#records = records;
    this.#sessionId = sessionId;
  }

  /** The D1 bookmark of the last index write (null before one). */
  get bookmark(): string | null {
    return this.#bookmark;
  }

  /** Runs one write on the primary and keeps the bookmark it reached. */
  async #onPrimary(write: (db: ReturnType<typeof createDb>) => Promise<unknown>): Promise<void> {
    const session = this.#d1.withSession("first-primary");
    await write(createDb(session));
    this.#bookmark = session.getBookmark() ?? this.#bookmark;
  }

  /** Whether the index is behind the record (a write is due). */
  get behind(): boolean {
    const record = this.#records.get();
    return record !== null && record.deletedAt === null && record.indexedVersion < record.version;
  }

  /** Writes the record to the index if it is behind; true once the index holds the current version. */
  sync(): Promise<boolean> {
    return this.#serialized(async () => {
      const record = this.#records.get();
      if (!record || record.deletedAt !== null) return true;
      if (record.indexedVersion >= record.version) return true;
      await this.write(record);
      this.#records.markIndexed(record.id, record.version);
      return true;
    });
  }

  /** Removes the index row (after any write in flight, which could otherwise put it back). */
  remove(): Promise<boolean> {
    return this.#serialized(async () => {
      await this.#onPrimary((db) => db.delete(sessions).where(eq(sessions.id, this.#sessionId)));
      return true;
    });
  }

  /** One upsert of the record as the index row. */
  async write(record: SessionRecord): Promise<void> {
    const changing = {
      title: record.title,
      tags: record.tags,
      modelId: record.modelId,
      locale: record.locale,
      capabilities: record.capabilities,
      tools: record.tools,
      parallelToolCalls: record.parallelToolCalls,
      status: record.status,
      inputTokens: record.inputTokens,
      outputTokens: record.outputTokens,
      updatedAt: record.updatedAt,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      indexVersion: record.version,
    };
    await this.#onPrimary((db) =>
      db
        .insert(sessions)
        .values({ id: record.id, orgId: record.orgId, agentId: record.agentId, createdAt: record.createdAt, ...changing })
        .onConflictDoUpdate({ target: sessions.id, set: changing, setWhere: sql`${sessions.indexVersion} < ${record.version}` }),
    );
  }

  #serialized(work: () => Promise<boolean>): Promise<boolean> {
    const next = this.#tail.then(work).catch((err: unknown) => {
      logLine("warn", { msg: "session index write failed; the alarm retries it", session_id: this.#sessionId, error: describeError(err) });
      return false;
    });
    this.#tail = next;
    return next;
  }
}
