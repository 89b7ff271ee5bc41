import { describe, expect, it } from "vitest";
import { z } from "@hono/zod-openapi";
import { AgentSchema } from "../src/schemas/agents";
import { newTenant, problem } from "./helpers";
import { as, createAgent } from "./fixtures";

const AgentList = z.object({ data: z.array(AgentSchema) });

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

  it("lists active agents newest first and hides archived ones", async () => {
    const t = await newTenant();
    const first = await createAgent(t, { name: "first" });
    const second = await createAgent(t, { name: "second" });
    const third = await createAgent(t, { name: "third" });
    expect((await as(t, `/v1/agents/${second.id}`, { method: "DELETE" })).status).toBe(204);
    const res = await as(t, "/v1/agents");
    expect(res.status).toBe(200);
    const { data } = AgentList.parse(await res.json());
    expect(data.map((a) => a.id)).toEqual([third.id, first.id]);
  });

  it("gets archived agents, 404s a second DELETE and un-archives through PATCH status", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    expect((await as(t, `/v1/agents/${agent.id}`, { method: "DELETE" })).status).toBe(204);
    const archived = AgentSchema.parse(await (await as(t, `/v1/agents/${agent.id}`)).json());
    expect(archived.status).toBe("archived");
    const again = await as(t, `/v1/agents/${agent.id}`, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect((await problem(again)).code).toBe("agent_not_found");
    const restored = await as(t, `/v1/agents/${agent.id}`, { method: "PATCH", json: { status: "active" } });
    expect(restored.status).toBe(200);
    expect(AgentSchema.parse(await restored.json()).status).toBe("active");
  });

  it("PATCH is partial and replaces the capability list", async () => {
    const t = await newTenant();
    const agent = await createAgent(t, { capabilities: ["current_time", "test_math"], description: "keep me" });
    const res = await as(t, `/v1/agents/${agent.id}`, { method: "PATCH", json: { name: "Renamed", capabilities: ["test_weather"] } });
    expect(res.status).toBe(200);
    const updated = AgentSchema.parse(await res.json());
    expect(updated).toMatchObject({ name: "Renamed", description: "keep me", capabilities: [{ ref: "test_weather", config: {} }] });
    const fetched = AgentSchema.parse(await (await as(t, `/v1/agents/${agent.id}`)).json());
    expect(fetched.capabilities).toEqual([{ ref: "test_weather", config: {} }]);
    const cleared = AgentSchema.parse(await (await as(t, `/v1/agents/${agent.id}`, { method: "PATCH", json: { capabilities: [] } })).json());
    expect(cleared.capabilities).toEqual([]);
  });

  it("names every invalid field in a 400", async () => {
    const t = await newTenant();
    const res = await as(t, "/v1/agents", { method: "POST", json: { name: "", capabilities: "x", tags: [1] } });
    expect(res.status).toBe(400);
    const body = await problem(res);
    expect(body.code).toBe("validation_failed");
    const paths = body.errors?.map((e) => e.path) ?? [];
    expect(paths).toEqual(expect.arrayContaining(["body.name", "body.system_prompt", "body.capabilities", "body.tags.0"]));
  });

  it("answers input_too_large naming the field over its limit", async () => {
    const t = await newTenant();
    const res = await as(t, "/v1/agents", { method: "POST", json: { name: "é".repeat(1025), system_prompt: "x" } });
    expect(res.status).toBe(400);
    const body = await problem(res);
    expect(body.code).toBe("input_too_large");
    expect(body.errors?.map((e) => e.path)).toEqual(["body.name"]);
    const caps = await as(t, "/v1/agents", { method: "POST", json: { name: "n", system_prompt: "x", capabilities: Array(251).fill("noop") } });
    expect(caps.status).toBe(400);
    expect((await problem(caps)).errors?.map((e) => e.path)).toEqual(["body.capabilities"]);
    const desc = await as(t, "/v1/agents", { method: "POST", json: { name: "n", system_prompt: "x", description: "d".repeat(10 * 1024 + 1) } });
    expect((await problem(desc)).code).toBe("input_too_large");
  });

  it("answers 422 for unknown capability ids, naming each", async () => {
    const t = await newTenant();
    const res = await as(t, "/v1/agents", { method: "POST", json: { name: "n", system_prompt: "x", capabilities: ["noop", "nope", { ref: "also_nope" }] } });
    expect(res.status).toBe(422);
    const body = await problem(res);
    expect(body.code).toBe("unknown_capability");
    expect(body.errors?.map((e) => e.path)).toEqual(["body.capabilities.1", "body.capabilities.2"]);
    expect((await as(t, "/v1/agents")).status).toBe(200);
    const list = AgentList.parse(await (await as(t, "/v1/agents")).json());
    expect(list.data).toEqual([]);
  });

  it("answers 422 for a default model that is not the org's", async () => {
    const t = await newTenant();
    const res = await as(t, "/v1/agents", { method: "POST", json: { name: "n", system_prompt: "x", default_model_id: `model_${"0".repeat(32)}` } });
    expect(res.status).toBe(422);
    expect((await problem(res)).code).toBe("unknown_model");
  });

  it("answers 400 invalid_id for malformed ids and 404 for other organizations' agents", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const agent = await createAgent(a);
    const bad = await as(a, "/v1/agents/not-an-id");
    expect(bad.status).toBe(400);
    expect((await problem(bad)).code).toBe("invalid_id");
    const wrongPrefix = await as(a, `/v1/agents/session_${"0".repeat(32)}`);
    expect((await problem(wrongPrefix)).code).toBe("invalid_id");
    for (const init of [{}, { method: "PATCH", json: { name: "x" } }, { method: "DELETE" }]) {
      const res = await as(b, `/v1/agents/${agent.id}`, init);
      expect(res.status).toBe(404);
      expect((await problem(res)).code).toBe("agent_not_found");
    }
    const missing = await as(b, `/v1/agents/agent_${"0".repeat(32)}`);
    expect(missing.status).toBe(404);
    expect((await problem(missing)).code).toBe("agent_not_found");
  });
});
