import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { sessions } from "../src/db/schema";
import { newId } from "../src/lib/ids";
import { SessionPage as Page } from "../src/routes/sessions";
import { SessionSchema } from "../src/schemas/sessions";
import { sessionStub } from "../src/services/session-client";
import { problem } from "./support/problems";
import { type Caller, callAs, type RequestOptions } from "./support/requests";
import { createAgent, createSession, sendMessage } from "./support/resources";
import { openStream, SseReader } from "./support/sse-reader";
import { newTenant } from "./support/tenants";

/** Sends a request and checks status, code and the exact errors[].path list (none when `paths` is undefined). */
async function expectError(caller: Caller, path: string, init: RequestOptions, status: number, code: string, paths?: string[]) {
  const res = await callAs(caller, path, init);
  expect(res.status, `${init.method ?? "GET"} ${path}`).toBe(status);
  const body = await problem(res);
  expect(body.code).toBe(code);
  expect(body.errors?.map((e) => e.path)).toEqual(paths);
}

describe("sessions", () => {
  it("creates under an agent and with agent_id in the body", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    const nested = await createSession(t, agent.id, { title: "hello", tags: ["x"] });
    expect(nested).toMatchObject({
      agent_id: agent.id,
      title: "hello",
      tags: ["x"],
      status: "started",
      model_id: null,
      usage: { input_tokens: 0, output_tokens: 0 },
      started_at: null,
      finished_at: null,
    });
    const res = await callAs(t, "/v1/sessions", { method: "POST", json: { agent_id: agent.id } });
    expect(res.status).toBe(201);
    const flat = SessionSchema.parse(await res.json());
    expect(flat).toMatchObject({ agent_id: agent.id, title: null, tags: [] });
    const got = await callAs(t, `/v1/sessions/${flat.id}`);
    expect(SessionSchema.parse(await got.json())).toEqual(flat);
  });

  it("404s an unknown agent and 422s an archived one", async () => {
    const t = await newTenant();
    const unknown = await callAs(t, "/v1/sessions", { method: "POST", json: { agent_id: `agent_${"0".repeat(32)}` } });
    expect(unknown.status).toBe(404);
    expect((await problem(unknown)).code).toBe("agent_not_found");
    const agent = await createAgent(t);
    await callAs(t, `/v1/agents/${agent.id}`, { method: "DELETE" });
    const archived = await callAs(t, `/v1/agents/${agent.id}/sessions`, { method: "POST", json: {} });
    expect(archived.status).toBe(422);
    expect((await problem(archived)).code).toBe("agent_archived");
    await expectError(t, "/v1/sessions", { method: "POST", json: { agent_id: agent.id } }, 422, "agent_archived");
    const badBody = await callAs(t, "/v1/sessions", { method: "POST", json: { agent_id: "x" } });
    expect(badBody.status).toBe(400);
    expect((await problem(badBody)).errors?.map((e) => e.path)).toEqual(["body.agent_id"]);
  });

  it("updates title and tags", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    const res = await callAs(t, `/v1/sessions/${session.id}`, { method: "PATCH", json: { title: "renamed", tags: ["k"] } });
    expect(res.status).toBe(200);
    expect(SessionSchema.parse(await res.json())).toMatchObject({ title: "renamed", tags: ["k"] });
    const bad = await callAs(t, `/v1/sessions/${session.id}`, { method: "PATCH", json: { tags: "nope" } });
    expect(bad.status).toBe(400);
    expect((await problem(bad)).errors?.map((e) => e.path)).toEqual(["body.tags"]);
    const titleOnly = await callAs(t, `/v1/sessions/${session.id}`, { method: "PATCH", json: { title: null } });
    expect(SessionSchema.parse(await titleOnly.json())).toMatchObject({ title: null, tags: ["k"] });
  });

  it("answers PATCH with the session as its Durable Object holds it, including the status and usage its turns wrote", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    const reader = new SseReader(await openStream(t, session.id));
    await sendMessage(t, session.id, "hello");
    await reader.collectUntil((e) => e.type === "session.completed");
    await reader.cancel();
    const res = await callAs(t, `/v1/sessions/${session.id}`, { method: "PATCH", json: { title: "t" } });
    expect(res.status).toBe(200);
    const patched = SessionSchema.parse(await res.json());
    expect(patched).toMatchObject({ title: "t", status: "idle" });
    expect(patched.usage.input_tokens).toBeGreaterThan(0);
    expect(SessionSchema.parse(await (await callAs(t, `/v1/sessions/${session.id}`)).json())).toEqual(patched);
    // The index was written before PATCH answered, so the list shows it at once.
    expect(Page.parse(await (await callAs(t, "/v1/sessions")).json()).data).toEqual([patched]);
  });

  it("answers input_too_large for a title or tag over its byte limit", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    const session = await createSession(t, agent.id);
    await expectError(t, `/v1/agents/${agent.id}/sessions`, { method: "POST", json: { title: "é".repeat(513) } }, 400, "input_too_large", [
      "body.title",
    ]);
    await expectError(t, "/v1/sessions", { method: "POST", json: { agent_id: agent.id, tags: ["é".repeat(65)] } }, 400, "input_too_large", [
      "body.tags.0",
    ]);
    await expectError(t, `/v1/sessions/${session.id}`, { method: "PATCH", json: { title: "x".repeat(1025) } }, 400, "input_too_large", [
      "body.title",
    ]);
    await expectError(t, `/v1/sessions/${session.id}`, { method: "PATCH", json: { tags: [""] } }, 400, "validation_failed", [
      "body.tags.0",
    ]);
    expect(Page.parse(await (await callAs(t, "/v1/sessions")).json()).total).toBe(1);
  });

  it("answers invalid_id for malformed session and agent ids on every route", async () => {
    const t = await newTenant();
    for (const id of ["abc", `agent_${"0".repeat(32)}`, `session_${"0".repeat(31)}`]) {
      for (const init of [{}, { method: "PATCH", json: { title: "x" } }, { method: "DELETE" }]) {
        await expectError(t, `/v1/sessions/${id}`, init, 400, "invalid_id", ["path.session_id"]);
      }
    }
    for (const id of ["abc", `session_${"0".repeat(32)}`]) {
      await expectError(t, `/v1/agents/${id}/sessions`, {}, 400, "invalid_id", ["path.agent_id"]);
      await expectError(t, `/v1/agents/${id}/sessions`, { method: "POST", json: {} }, 400, "invalid_id", ["path.agent_id"]);
    }
    await expectError(t, "/v1/sessions?agent_id=abc", {}, 400, "validation_failed", ["query.agent_id"]);
    await expectError(t, `/v1/sessions?agent_id=session_${"0".repeat(32)}`, {}, 400, "validation_failed", ["query.agent_id"]);
  });

  it("404s another organization's agent on the nested list and create and on the flat create", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const agent = await createAgent(a);
    await expectError(b, `/v1/agents/${agent.id}/sessions`, {}, 404, "agent_not_found");
    await expectError(b, `/v1/agents/${agent.id}/sessions`, { method: "POST", json: {} }, 404, "agent_not_found");
    await expectError(b, "/v1/sessions", { method: "POST", json: { agent_id: agent.id } }, 404, "agent_not_found");
    expect(Page.parse(await (await callAs(a, "/v1/sessions")).json()).total).toBe(0);
    expect(Page.parse(await (await callAs(b, `/v1/sessions?agent_id=${agent.id}`)).json())).toMatchObject({ data: [], total: 0 });
  });

  it("paginates newest first with a stable order, clamping limit", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    const other = await createAgent(t);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await createSession(t, agent.id)).id);
    await createSession(t, other.id);
    const newestFirst = [...ids].reverse();

    const page1 = Page.parse(await (await callAs(t, `/v1/agents/${agent.id}/sessions?limit=2`)).json());
    expect(page1).toMatchObject({ total: 5, offset: 0, limit: 2 });
    const page2 = Page.parse(await (await callAs(t, `/v1/agents/${agent.id}/sessions?limit=2&offset=2`)).json());
    const page3 = Page.parse(await (await callAs(t, `/v1/agents/${agent.id}/sessions?limit=2&offset=4`)).json());
    expect([...page1.data, ...page2.data, ...page3.data].map((s) => s.id)).toEqual(newestFirst);

    const past = Page.parse(await (await callAs(t, `/v1/agents/${agent.id}/sessions?offset=50`)).json());
    expect(past).toEqual({ data: [], total: 5, offset: 50, limit: 20 });
    expect(Page.parse(await (await callAs(t, "/v1/sessions?limit=0")).json()).limit).toBe(1);
    expect(Page.parse(await (await callAs(t, "/v1/sessions?limit=101")).json()).limit).toBe(100);
    const all = Page.parse(await (await callAs(t, "/v1/sessions")).json());
    expect(all).toMatchObject({ total: 6, offset: 0, limit: 20 });
    const filtered = Page.parse(await (await callAs(t, `/v1/sessions?agent_id=${agent.id}`)).json());
    expect(filtered.data.map((s) => s.id)).toEqual(newestFirst);

    const nonNumeric = await callAs(t, "/v1/sessions?limit=abc");
    expect(nonNumeric.status).toBe(400);
    expect((await problem(nonNumeric)).errors?.map((e) => e.path)).toEqual(["query.limit"]);
    const negative = await callAs(t, "/v1/sessions?offset=-1");
    expect((await problem(negative)).errors?.map((e) => e.path)).toEqual(["query.offset"]);
  });

  it("keeps a stable newest-first order when sessions share created_at, so pages never overlap", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    const createdAt = "2030-01-01T00:00:00.000Z";
    const ids = Array.from({ length: 5 }, () => newId("session"));
    // Inserted out of id order, so only the id tiebreak (not insertion order) gives the expected order.
    const rows = [ids[2], ids[4], ids[0], ids[3], ids[1]].map((id) => ({
      id: id ?? "",
      orgId: t.orgId,
      agentId: agent.id,
      tags: [],
      status: "started" as const,
      createdAt,
      updatedAt: createdAt,
    }));
    await createDb(env.DB).insert(sessions).values(rows);
    for (const base of ["/v1/sessions?", `/v1/agents/${agent.id}/sessions?`]) {
      const seen: string[] = [];
      for (let offset = 0; offset < 5; offset += 2) {
        const page = Page.parse(await (await callAs(t, `${base}limit=2&offset=${offset}`)).json());
        expect(page.total).toBe(5);
        seen.push(...page.data.map((s) => s.id));
      }
      expect(seen, base).toEqual([...ids].reverse());
    }
  });

  it("keeps organizations apart: 404 for another org's session on every route", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const session = await createSession(a, (await createAgent(a)).id);
    const attempts: [string, RequestOptions][] = [
      [`/v1/sessions/${session.id}`, {}],
      [`/v1/sessions/${session.id}`, { method: "PATCH", json: { title: "x" } }],
      [`/v1/sessions/${session.id}`, { method: "DELETE" }],
      [`/v1/sessions/${session.id}/messages`, {}],
      [
        `/v1/sessions/${session.id}/messages`,
        { method: "POST", json: { message: { role: "user", content: [{ type: "text", text: "hi" }] } } },
      ],
      [`/v1/sessions/${session.id}/cancel`, { method: "POST" }],
      [`/v1/sessions/${session.id}/events`, { headers: { accept: "application/json" } }],
      [`/v1/sessions/${session.id}/sse`, {}],
    ];
    for (const [path, init] of attempts) {
      const res = await callAs(b, path, init);
      expect(res.status, `${init.method ?? "GET"} ${path}`).toBe(404);
      expect((await problem(res)).code).toBe("session_not_found");
    }
    expect(Page.parse(await (await callAs(b, "/v1/sessions")).json()).total).toBe(0);
    expect((await callAs(a, `/v1/sessions/${session.id}`)).status).toBe(200);
  });

  it("deletes a session: its object's storage is wiped and its index row removed", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    await sendMessage(t, session.id, "hello");
    const stub = sessionStub(env, session.id);
    const tables = () =>
      runInDurableObject(
        stub,
        (_instance, state) =>
          state.storage.sql
            .exec("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'")
            .one().n,
      );
    const indexRows = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE id = ?").bind(session.id).first<{ n: number }>())?.n;
    expect(await tables()).toBeGreaterThan(0);
    expect(await indexRows()).toBe(1);
    const res = await callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await tables()).toBe(0);
    expect(await indexRows()).toBe(0);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBeNull();
    await expectError(t, `/v1/sessions/${session.id}`, {}, 404, "session_not_found");
    await expectError(t, `/v1/sessions/${session.id}/messages`, {}, 404, "session_not_found");
    await expectError(t, `/v1/sessions/${session.id}`, { method: "DELETE" }, 404, "session_not_found");
  });
});
