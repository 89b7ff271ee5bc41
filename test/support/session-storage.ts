import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { migrateSessionDb, openSessionDb, type SessionDb } from "../../src/session/db/client";
import { type SessionRecord, SessionRecords } from "../../src/session/session-record";

/** What a collaborator's unit test works on: a session object's own SQLite storage, migrated, with one session record. */
export interface SessionStorage {
  db: SessionDb;
  storage: DurableObjectStorage;
  records: SessionRecords;
  record: SessionRecord;
}

/**
 * Runs `check` inside a fresh session object (an id no session has), over its own storage set up
 * as a new session's would be. No D1, no routes: only the storage the collaborators use.
 */
export async function withSessionStorage<T>(check: (s: SessionStorage) => T | Promise<T>): Promise<T> {
  const stub = env.SESSIONS.get(env.SESSIONS.newUniqueId());
  return runInDurableObject(stub, async (_instance, state) => {
    const db = openSessionDb(state.storage);
    await migrateSessionDb(db);
    const records = new SessionRecords(db);
    const record = records.create({
      id: "session_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f",
      orgId: "org_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f",
      agentId: "agent_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f",
      title: null,
      tags: [],
      modelId: null,
      locale: null,
      capabilities: [],
      tools: [],
      parallelToolCalls: null,
      createdAt: new Date().toISOString(),
    });
    return check({ db, storage: state.storage, records, record });
  });
}
