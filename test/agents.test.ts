import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { agents } from "../src/db/schema";
import { chunk, D1_MAX_BOUND_PARAMS } from "../src/lib/d1-params";
import { newId } from "../src/lib/ids";
import { AgentPage } from "../src/routes/agents";
import { AgentSchema } from "../src/schemas/agents";
import { capabilityInserts } from "../src/services/agents";
import { problem } from "./support/problems";
import { type Caller, callAs } from "./support/requests";
import { createAgent } from "./support/resources";
import { newTenant } from "./support/tenants";

const ALL_CAPABILITIES = ["web_fetch", "noop", "test_weather", "current_time", "test_math"];

async function listPage(t: Caller, query = "") {
  const res = await callAs(t, `/v1/agents${query}`);
  expect(res.status).toBe(200);
  return AgentPage.parse(await res.json());
}

describe("agents", () => {
  it("creates an agent with capabilities given as ids or {ref, config}, in order", async () => {
    const t = await newTenant();
    const agent = await createAgent(t, {
      name: "Helper",
      description: "Answers questions",
      capabilities: ["current_time", { ref: "test_math", config: { precision: 2 } }],
      tags: ["a", "b"],
    });
    expect(agent).toMatchObject({
      name: "Helper",
      description: "Answers questions",
      system_prompt: "You are a test agent.",
      default_model_id: null,
      capabilities: [
        { ref: "current_time", config: {} },
        { ref: "test_math", config: { precision: 2 } },
      ],
      tags: ["a", "b"],
      status: "active",
    });
    expect(agent.id).toMatch(/^agent_[0-9a-f]{32}$/);
    expect(agent.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("round-trips every registry capability in the order given", async () => {
    const t = await newTenant();
    const agent = await createAgent(t, { capabilities: ALL_CAPABILITIES });
    const fetched = AgentSchema.parse(await (await callAs(t, `/v1/agents/${agent.id}`)).json());
    expect(fetched.capabilities.map((c) => c.ref)).toEqual(ALL_CAPABILITIES);
    const listed = await listPage(t);
    expect(listed.data[0]?.capabilities.map((c) => c.ref)).toEqual(ALL_CAPABILITIES);
  });

  it("chunk splits in order and rejects a size below 1", () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
    expect(chunk([1, 2], 5)).toEqual([[1, 2]]);
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });

  it("stores 250 capability rows in statements of at most 100 bound parameters, in order", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    const db = createDb(env.DB);
    // The registry has five ids and repeats are refused, so 250 rows are written below the API.
    const refs = Array.from({ length: 250 }, (_, i) => ({ ref: `cap_${i}`, config: { i } }));
    const inserts = capabilityInserts(db, agent.id, refs);
    expect(inserts.length).toBeGreaterThan(1);
    for (const insert of inserts) expect(insert.toSQL().params.length).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMS);
    const [first, ...rest] = inserts;
    if (!first) throw new Error("no insert statements");
    await db.batch([first, ...rest]);
    const fetched = AgentSchema.parse(await (await callAs(t, `/v1/agents/${agent.id}`)).json());
    expect(fetched.capabilities).toEqual(refs);
  });

  it("lists active agents newest first and hides archived ones, and shows un-archived ones again", async () => {
    const t = await newTenant();
    const first = await createAgent(t, { name: "first" });
    const second = await createAgent(t, { name: "second" });
    const third = await createAgent(t, { name: "third" });
    expect((await callAs(t, `/v1/agents/${second.id}`, { method: "DELETE" })).status).toBe(204);
    const page = await listPage(t);
    expect(page).toMatchObject({ total: 2, offset: 0, limit: 20 });
    expect(page.data.map((a) => a.id)).toEqual([third.id, first.id]);
    const restored = await callAs(t, `/v1/agents/${second.id}`, { method: "PATCH", json: { status: "active" } });
    expect(restored.status).toBe(200);
    expect(AgentSchema.parse(await restored.json()).status).toBe("active");
    const again = await listPage(t);
    expect(again.total).toBe(3);
    expect(again.data.map((a) => a.id)).toEqual([third.id, second.id, first.id]);
  });

  it("paginates with offset/limit, clamping limit and naming a bad one", async () => {
    const t = await newTenant();
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await createAgent(t, { capabilities: i === 1 ? ["noop"] : [] })).id);
    const newestFirst = [...ids].reverse();
    const one = await listPage(t, "?limit=2");
    const two = await listPage(t, "?limit=2&offset=2");
    expect(one).toMatchObject({ total: 3, offset: 0, limit: 2 });
    expect(two).toMatchObject({ total: 3, offset: 2, limit: 2 });
    expect([...one.data, ...two.data].map((a) => a.id)).toEqual(newestFirst);
    expect(one.data[1]?.capabilities).toEqual([{ ref: "noop", config: {} }]);
    expect(await listPage(t, "?offset=50")).toEqual({ data: [], total: 3, offset: 50, limit: 20 });
    expect((await listPage(t, "?limit=0")).limit).toBe(1);
    expect((await listPage(t, "?limit=101")).limit).toBe(100);
    for (const [query, path] of [
      ["?limit=abc", "query.limit"],
      ["?offset=-1", "query.offset"],
      ["?offset=x", "query.offset"],
      ["?offset=1e1", "query.offset"],
      ["?offset=0x10", "query.offset"],
    ]) {
      const res = await callAs(t, `/v1/agents${query}`);
      expect(res.status, query).toBe(400);
      const body = await problem(res);
      expect(body.code).toBe("validation_failed");
      expect(body.errors?.map((e) => e.path)).toEqual([path]);
    }
  });

  it("keeps a stable newest-first order when agents share created_at, so pages never overlap", async () => {
    const t = await newTenant();
    const db = createDb(env.DB);
    const createdAt = "2030-01-01T00:00:00.000Z";
    const ids = Array.from({ length: 5 }, () => newId("agent"));
    // Inserted out of id order, so only the id tiebreak (not insertion order) gives the expected order.
    const rows = [ids[3], ids[0], ids[4], ids[2], ids[1]].map((id) => ({
      id: id ?? "",
      orgId: t.orgId,
      name: "same time",
      systemPrompt: "x",
      tags: [],
      status: "active" as const,
      createdAt,
      updatedAt: createdAt,
    }));
    await db.insert(agents).values(rows);
    const seen: string[] = [];
    for (let offset = 0; offset < 5; offset += 2) seen.push(...(await listPage(t, `?limit=2&offset=${offset}`)).data.map((a) => a.id));
    expect(seen).toEqual([...ids].reverse());
  });

  it("PATCH is partial and replaces the capability list", async () => {
    const t = await newTenant();
    const agent = await createAgent(t, { capabilities: ["current_time", "test_math"], description: "keep me", tags: ["keep"] });
    const res = await callAs(t, `/v1/agents/${agent.id}`, { method: "PATCH", json: { name: "Renamed", capabilities: ["test_weather"] } });
    expect(res.status).toBe(200);
    const updated = AgentSchema.parse(await res.json());
    expect(updated).toMatchObject({
      name: "Renamed",
      description: "keep me",
      tags: ["keep"],
      capabilities: [{ ref: "test_weather", config: {} }],
    });
    const fetched = AgentSchema.parse(await (await callAs(t, `/v1/agents/${agent.id}`)).json());
    expect(fetched).toEqual(updated);
    const tagsOnly = AgentSchema.parse(await (await callAs(t, `/v1/agents/${agent.id}`, { method: "PATCH", json: { tags: [] } })).json());
    expect(tagsOnly).toMatchObject({ name: "Renamed", tags: [], capabilities: [{ ref: "test_weather", config: {} }] });
    const cleared = AgentSchema.parse(
      await (await callAs(t, `/v1/agents/${agent.id}`, { method: "PATCH", json: { capabilities: [] } })).json(),
    );
    expect(cleared.capabilities).toEqual([]);
  });

  it("gets archived agents and 404s a second DELETE", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    expect((await callAs(t, `/v1/agents/${agent.id}`, { method: "DELETE" })).status).toBe(204);
    const archived = AgentSchema.parse(await (await callAs(t, `/v1/agents/${agent.id}`)).json());
    expect(archived.status).toBe("archived");
    const again = await callAs(t, `/v1/agents/${agent.id}`, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect((await problem(again)).code).toBe("agent_not_found");
  });

  it("answers 400 invalid_id for malformed ids on every agent route and 404 for other organizations' agents", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const agent = await createAgent(a);
    for (const id of ["not-an-id", `session_${"0".repeat(32)}`, `agent_${"0".repeat(31)}`]) {
      for (const init of [{}, { method: "PATCH", json: { name: "x" } }, { method: "DELETE" }]) {
        const res = await callAs(a, `/v1/agents/${id}`, init);
        expect(res.status, `${init.method ?? "GET"} ${id}`).toBe(400);
        const body = await problem(res);
        expect(body.code).toBe("invalid_id");
        expect(body.errors?.map((e) => e.path)).toEqual(["path.agent_id"]);
      }
    }
    for (const init of [{}, { method: "PATCH", json: { name: "x" } }, { method: "DELETE" }]) {
      const res = await callAs(b, `/v1/agents/${agent.id}`, init);
      expect(res.status).toBe(404);
      expect((await problem(res)).code).toBe("agent_not_found");
    }
    expect(AgentSchema.parse(await (await callAs(a, `/v1/agents/${agent.id}`)).json())).toEqual(agent);
    const missing = await callAs(b, `/v1/agents/agent_${"0".repeat(32)}`);
    expect(missing.status).toBe(404);
    expect((await problem(missing)).code).toBe("agent_not_found");
  });
});
