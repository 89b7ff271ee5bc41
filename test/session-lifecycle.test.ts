import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { DrizzleD1Database } from "drizzle-orm/d1";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SessionPage } from "../src/routes/sessions";
import { sessionStub } from "../src/services/session-client";
import { openSessionDb } from "../src/session/db/client";
import { SessionIndex } from "../src/session/session-index";
import { SessionRecords } from "../src/session/session-record";
import { isEnd } from "./support/events";
import { expectProblem } from "./support/problems";
import { callAs } from "./support/requests";
import { createAgent, createSession, getSession, sendMessage } from "./support/resources";
import { openStream, SseReader } from "./support/sse-reader";
import { newTenant, type Tenant } from "./support/tenants";

/** The sessions the org's list (the D1 index) shows. */
async function listed(t: Tenant) {
  return SessionPage.parse(await (await callAs(t, "/v1/sessions")).json()).data;
}

const alarmOf = (sessionId: string) => runInDurableObject(sessionStub(env, sessionId), (_instance, state) => state.storage.getAlarm());

/** The object's own tables (not SQLite's or the runtime's), each with its row count. */
const tablesOf = (sessionId: string) =>
  runInDurableObject(sessionStub(env, sessionId), (_instance, state) =>
    state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name",
      )
      .toArray()
      .map(({ name }) => ({ name, rows: state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM "${name}"`).one().n })),
  );

/** Every read of a session by id answers 404 session_not_found: the session, its messages, its events as JSON and its stream. */
async function expectGone(t: Tenant, sessionId: string) {
  await expectProblem(await callAs(t, `/v1/sessions/${sessionId}`), 404, "session_not_found");
  await expectProblem(await callAs(t, `/v1/sessions/${sessionId}/messages`), 404, "session_not_found");
  await expectProblem(
    await callAs(t, `/v1/sessions/${sessionId}/events`, { headers: { accept: "application/json" } }),
    404,
    "session_not_found",
  );
  await expectProblem(await callAs(t, `/v1/sessions/${sessionId}/sse`), 404, "session_not_found");
}

describe("session lifecycle across the object and the D1 index", () => {
  afterEach(() => vi.restoreAllMocks());

  it("creates a session whose index write failed: it exists at once, and the alarm adds it to the list", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    vi.spyOn(SessionIndex.prototype, "write").mockRejectedValueOnce(new Error("D1 unavailable"));
    const session = await createSession(t, agent.id);
    expect(await getSession(t, session.id)).toEqual(session);
    expect(await listed(t)).toEqual([]);
    expect(await alarmOf(session.id)).not.toBeNull();
    await runDurableObjectAlarm(sessionStub(env, session.id));
    expect(await listed(t)).toEqual([session]);
    expect(await alarmOf(session.id)).toBeNull();
  });

  it("catches the index up on status and usage after a failed write, and never lets an older version overwrite a newer one", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    const reader = new SseReader(await openStream(t, session.id));
    const write = vi.spyOn(SessionIndex.prototype, "write").mockRejectedValueOnce(new Error("D1 unavailable"));
    await sendMessage(t, session.id, "hello");
    await reader.collectUntil(isEnd);
    await reader.cancel();
    const now = await getSession(t, session.id);
    expect(now.status).toBe("idle");
    for (let i = 0; i < 50 && write.mock.calls.length === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect((await listed(t))[0]?.status).toBe("started"); // the list lags: the write after the turn failed
    await runDurableObjectAlarm(sessionStub(env, session.id));
    expect(await listed(t)).toEqual([now]);
    // A late write of an older version (a retry racing a newer one) changes nothing.
    await runInDurableObject(sessionStub(env, session.id), async (_instance, state) => {
      const records = new SessionRecords(openSessionDb(state.storage));
      const current = records.get();
      if (!current) throw new Error("no record");
      await new SessionIndex(env.DB, records, session.id).write({ ...current, version: 1, title: "stale", status: "started" });
    });
    expect(await listed(t)).toEqual([now]);
  });

  it("deletes a session whose index row could not be removed: gone for every read at once, and the alarm finishes the delete", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    await sendMessage(t, session.id, "hello");
    vi.spyOn(DrizzleD1Database.prototype, "delete").mockImplementationOnce(() => {
      throw new Error("D1 unavailable");
    });
    expect((await callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE" })).status).toBe(204);
    await expectProblem(await callAs(t, `/v1/sessions/${session.id}`), 404, "session_not_found");
    await expectProblem(await callAs(t, `/v1/sessions/${session.id}/messages`), 404, "session_not_found");
    await expectProblem(await callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE" }), 404, "session_not_found");
    expect((await listed(t)).map((s) => s.id)).toEqual([session.id]); // the list lags until the repair
    expect(await alarmOf(session.id)).not.toBeNull();
    await runDurableObjectAlarm(sessionStub(env, session.id));
    expect(await listed(t)).toEqual([]);
    const tables = await runInDurableObject(
      sessionStub(env, session.id),
      (_instance, state) =>
        state.storage.sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'session'").one().n,
    );
    expect(tables).toBe(0);
    expect(await alarmOf(session.id)).toBeNull();
  });

  it("finishes a delete when an object restarted with a tombstone starts: an alarm due at once removes the index row and wipes the storage, and the session is 404 throughout", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    await sendMessage(t, session.id, "hello");
    const stub = sessionStub(env, session.id);
    vi.spyOn(DrizzleD1Database.prototype, "delete").mockImplementationOnce(() => {
      throw new Error("D1 unavailable");
    });
    expect((await callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE" })).status).toBe(204);
    await expectGone(t, session.id);
    // The object keeps its tombstoned record (and so its storage) until the index row is gone.
    const tombstone = await runInDurableObject(
      stub,
      (_instance, state) => new SessionRecords(openSessionDb(state.storage)).get()?.deletedAt ?? null,
    );
    expect(tombstone).not.toBeNull();
    expect((await tablesOf(session.id)).find((table) => table.name === "session")).toEqual({ name: "session", rows: 1 });
    expect((await listed(t)).map((s) => s.id)).toEqual([session.id]);
    // Forget the retry the failed delete scheduled, so only the restart can set an alarm.
    await runInDurableObject(stub, (_instance, state) => state.storage.deleteAlarm());
    expect(await alarmOf(session.id)).toBeNull();

    await evictDurableObject(stub);
    const restarted = Date.now();
    const alarm = await alarmOf(session.id); // the first call after the eviction starts the object
    expect(alarm).not.toBeNull();
    expect(alarm).toBeLessThanOrEqual(Date.now()); // due at once, not after the index retry's 5 s
    expect(alarm).toBeGreaterThanOrEqual(restarted - 1000);
    await expectGone(t, session.id);

    // The runtime also fires an alarm that is due on its own, so it may have run already: either way the delete is finished.
    await runDurableObjectAlarm(stub);
    expect(await listed(t)).toEqual([]);
    expect(await tablesOf(session.id)).toEqual([]);
    expect(await alarmOf(session.id)).toBeNull();
    await expectGone(t, session.id);
    expect(await tablesOf(session.id)).toEqual([]); // reading a deleted id provisions nothing again
  });

  it("leaves nothing when creating the object's record fails: a 500 for the creator, no list entry, an id that names nothing", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    vi.spyOn(SessionRecords.prototype, "create").mockImplementationOnce(() => {
      throw new Error("storage refused the write");
    });
    await expectProblem(await callAs(t, "/v1/sessions", { method: "POST", json: { agent_id: agent.id } }), 500, "internal_error");
    expect(await listed(t)).toEqual([]);
  });
});
