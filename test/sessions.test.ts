import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { paginated } from "../src/schemas/common";
import { SessionSchema } from "../src/schemas/sessions";
import { newTenant, problem } from "./helpers";
import { as, createAgent, createSession } from "./fixtures";

const Page = paginated(SessionSchema);

describe("sessions", () => {
  it("creates under an agent and with agent_id in the body", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    const nested = await createSession(t, agent.id, { title: "hello", tags: ["x"] });
    expect(nested).toMatchObject({ agent_id: agent.id, title: "hello", tags: ["x"], status: "started", model_id: null, usage: { input_tokens: 0, output_tokens: 0 }, started_at: null, finished_at: null });
    const res = await as(t, "/v1/sessions", { method: "POST", json: { agent_id: agent.id } });
    expect(res.status).toBe(201);
    const flat = SessionSchema.parse(await res.json());
    expect(flat).toMatchObject({ agent_id: agent.id, title: null, tags: [] });
    const got = await as(t, `/v1/sessions/${flat.id}`);
    expect(SessionSchema.parse(await got.json())).toEqual(flat);
  });

  it("404s an unknown agent and 422s an archived one", async () => {
    const t = await newTenant();
    const unknown = await as(t, "/v1/sessions", { method: "POST", json: { agent_id: `agent_${"0".repeat(32)}` } });
    expect(unknown.status).toBe(404);
    expect((await problem(unknown)).code).toBe("agent_not_found");
    const agent = await createAgent(t);
    await as(t, `/v1/agents/${agent.id}`, { method: "DELETE" });
    const archived = await as(t, `/v1/agents/${agent.id}/sessions`, { method: "POST", json: {} });
    expect(archived.status).toBe(422);
    expect((await problem(archived)).code).toBe("agent_archived");
    const badBody = await as(t, "/v1/sessions", { method: "POST", json: { agent_id: "x" } });
    expect(badBody.status).toBe(400);
    expect((await problem(badBody)).errors?.map((e) => e.path)).toEqual(["body.agent_id"]);
  });

  it("updates title and tags", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    const res = await as(t, `/v1/sessions/${session.id}`, { method: "PATCH", json: { title: "renamed", tags: ["k"] } });
    expect(res.status).toBe(200);
    expect(SessionSchema.parse(await res.json())).toMatchObject({ title: "renamed", tags: ["k"] });
    const bad = await as(t, `/v1/sessions/${session.id}`, { method: "PATCH", json: { tags: "nope" } });
    expect(bad.status).toBe(400);
    expect((await problem(bad)).errors?.map((e) => e.path)).toEqual(["body.tags"]);
  });

  it("paginates newest first with a stable order, clamping limit", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    const other = await createAgent(t);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await createSession(t, agent.id)).id);
    await createSession(t, other.id);
    const newestFirst = [...ids].reverse();

    const page1 = Page.parse(await (await as(t, `/v1/agents/${agent.id}/sessions?limit=2`)).json());
    expect(page1).toMatchObject({ total: 5, offset: 0, limit: 2 });
    const page2 = Page.parse(await (await as(t, `/v1/agents/${agent.id}/sessions?limit=2&offset=2`)).json());
    const page3 = Page.parse(await (await as(t, `/v1/agents/${agent.id}/sessions?limit=2&offset=4`)).json());
    expect([...page1.data, ...page2.data, ...page3.data].map((s) => s.id)).toEqual(newestFirst);

    const past = Page.parse(await (await as(t, `/v1/agents/${agent.id}/sessions?offset=50`)).json());
    expect(past).toEqual({ data: [], total: 5, offset: 50, limit: 20 });
    expect(Page.parse(await (await as(t, "/v1/sessions?limit=0")).json()).limit).toBe(1);
    expect(Page.parse(await (await as(t, "/v1/sessions?limit=101")).json()).limit).toBe(100);
    const all = Page.parse(await (await as(t, "/v1/sessions")).json());
    expect(all).toMatchObject({ total: 6, offset: 0, limit: 20 });
    const filtered = Page.parse(await (await as(t, `/v1/sessions?agent_id=${agent.id}`)).json());
    expect(filtered.data.map((s) => s.id)).toEqual(newestFirst);

    const nonNumeric = await as(t, "/v1/sessions?limit=abc");
    expect(nonNumeric.status).toBe(400);
    expect((await problem(nonNumeric)).errors?.map((e) => e.path)).toEqual(["query.limit"]);
    const negative = await as(t, "/v1/sessions?offset=-1");
    expect((await problem(negative)).errors?.map((e) => e.path)).toEqual(["query.offset"]);
  });

  it("keeps organizations apart: 404 for another org's session on every route", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const session = await createSession(a, (await createAgent(a)).id);
    const attempts: [string, RequestInit & { json?: unknown }][] = [
      [`/v1/sessions/${session.id}`, {}],
      [`/v1/sessions/${session.id}`, { method: "PATCH", json: { title: "x" } }],
      [`/v1/sessions/${session.id}`, { method: "DELETE" }],
      [`/v1/sessions/${session.id}/messages`, {}],
      [`/v1/sessions/${session.id}/messages`, { method: "POST", json: { message: { role: "user", content: [{ type: "text", text: "hi" }] } } }],
      [`/v1/sessions/${session.id}/cancel`, { method: "POST" }],
      [`/v1/sessions/${session.id}/events`, { headers: { accept: "application/json" } }],
      [`/v1/sessions/${session.id}/sse`, {}],
    ];
    for (const [path, init] of attempts) {
      const res = await as(b, path, init);
      expect(res.status, `${init.method ?? "GET"} ${path}`).toBe(404);
      expect((await problem(res)).code).toBe("session_not_found");
    }
    expect(Page.parse(await (await as(b, "/v1/sessions")).json()).total).toBe(0);
    expect((await as(a, `/v1/sessions/${session.id}`)).status).toBe(200);
  });

  it("deletes a session with its messages and events", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    const sent = await as(t, `/v1/sessions/${session.id}/messages`, {
      method: "POST",
      json: { message: { role: "user", content: [{ type: "text", text: "hello" }] } },
    });
    expect(sent.status).toBe(201);
    await sent.json();
    const count = async (table: string) =>
      (await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE session_id = ?`).bind(session.id).first<{ n: number }>())?.n;
    expect(await count("messages")).toBeGreaterThan(0);
    expect(await count("events")).toBeGreaterThan(0);
    const res = await as(t, `/v1/sessions/${session.id}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await count("messages")).toBe(0);
    expect(await count("events")).toBe(0);
    const gone = await as(t, `/v1/sessions/${session.id}`);
    expect(gone.status).toBe(404);
    expect((await problem(gone)).code).toBe("session_not_found");
  });
});
