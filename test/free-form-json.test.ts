import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { ApiError } from "../src/lib/errors";
import { FREE_FORM_MAX_DEPTH } from "../src/lib/json-depth";
import { MAX_BODY_DEPTH, validationHook } from "../src/lib/validation";
import { ToolCallAssembler } from "../src/llm/tool-call-assembler";
import { LlmError } from "../src/llm/types";
import { AgentPage } from "../src/routes/agents";
import { AgentSchema } from "../src/schemas/agents";
import { expectProblem } from "./support/problems";
import { type Caller, callAs } from "./support/requests";
import { createAgent, createSession, listMessages } from "./support/resources";
import { newTenant } from "./support/tenants";

/** A JSON text of `depth` nested objects (`{"a":{"a":…{}}}`), built as text: JSON.stringify cannot build the deepest ones. */
function nestedObjects(depth: number): string {
  return `${'{"a":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`;
}

/** A JSON text of `depth` nested arrays. */
function nestedArrays(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

/** POSTs or PATCHes a JSON text as it is. */
function send(caller: Caller, method: string, path: string, body: string) {
  return callAs(caller, path, { method, headers: { "content-type": "application/json" }, body });
}

/** The org's agents (active and archived are both counted by listing active ones only: these tests archive nothing). */
async function agentCount(caller: Caller): Promise<number> {
  return AgentPage.parse(await (await callAs(caller, "/v1/agents")).json()).total;
}

const TOO_DEEP = ["input_too_large", "validation_failed"] as const;

/** A 400 input_too_large or validation_failed that names `path` (and nothing the value held). */
async function expectTooDeep(res: Response, path: string): Promise<void> {
  const text = (await res.clone().text()).slice(0, 400);
  expect(res.status, text).toBe(400);
  const code = (JSON.parse(text) as { code: (typeof TOO_DEEP)[number] }).code;
  expect(TOO_DEEP, text).toContain(code);
  const body = await expectProblem(res, 400, code);
  expect(
    body.errors?.map((e) => e.path),
    text,
  ).toContain(path);
}

describe("free-form JSON is limited in depth", () => {
  it("refuses an agent whose capability config is nested 10,000 levels, and creates nothing", async () => {
    const t = await newTenant();
    for (const config of [nestedObjects(10_000), `{"a":${nestedArrays(10_000)}}`, nestedObjects(5_000)]) {
      const body = `{"name":"deep","system_prompt":"x","capabilities":[{"ref":"noop","config":${config}}]}`;
      await expectTooDeep(await send(t, "POST", "/v1/agents", body), "body.capabilities.0.config");
    }
    expect(await agentCount(t)).toBe(0);
  });

  it("accepts config up to the depth limit and refuses one level more, naming the field", async () => {
    const t = await newTenant();
    const ok = `{"name":"ok","system_prompt":"x","capabilities":[{"ref":"noop","config":${nestedObjects(FREE_FORM_MAX_DEPTH)}}]}`;
    const created = await send(t, "POST", "/v1/agents", ok);
    expect(created.status, (await created.clone().text()).slice(0, 400)).toBe(201);
    AgentSchema.parse(await created.json());
    const over = `{"name":"no","system_prompt":"x","capabilities":["current_time",{"ref":"noop","config":${nestedObjects(FREE_FORM_MAX_DEPTH + 1)}}]}`;
    await expectTooDeep(await send(t, "POST", "/v1/agents", over), "body.capabilities.1.config");
    expect(await agentCount(t)).toBe(1);
  });

  it("refuses a PATCH with a deep config and leaves the agent as it was", async () => {
    const t = await newTenant();
    const agent = await createAgent(t, { capabilities: [{ ref: "noop", config: { keep: true } }] });
    const body = `{"name":"changed","capabilities":[{"ref":"noop","config":${nestedObjects(10_000)}}]}`;
    await expectTooDeep(await send(t, "PATCH", `/v1/agents/${agent.id}`, body), "body.capabilities.0.config");
    const after = AgentSchema.parse(await (await callAs(t, `/v1/agents/${agent.id}`)).json());
    expect(after).toEqual(agent);
  });

  it("refuses deep message metadata and stores no message", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    const session = await createSession(t, agent.id);
    for (const metadata of [nestedObjects(10_000), `{"a":${nestedArrays(10_000)}}`, nestedObjects(FREE_FORM_MAX_DEPTH + 1)]) {
      const body = `{"message":{"role":"user","content":[{"type":"text","text":"hi"}]},"metadata":${metadata}}`;
      await expectTooDeep(await send(t, "POST", `/v1/sessions/${session.id}/messages`, body), "body.metadata");
    }
    expect(await listMessages(t, session.id)).toEqual([]);
  });

  it("never stores nor fails on deep input in other places: typed fields refuse it, unknown fields are dropped", async () => {
    const t = await newTenant();
    const typed: [string, string][] = [
      [`{"name":${nestedArrays(100_000)},"system_prompt":"y"}`, "body.name"],
      [`{"name":"x","system_prompt":"y","tags":${nestedArrays(100_000)}}`, "body.tags.0"],
      [nestedArrays(100_000), "body"],
    ];
    for (const [body, path] of typed) await expectProblem(await send(t, "POST", "/v1/agents", body), 400, "validation_failed", [path]);
    const ignored = await send(t, "POST", "/v1/agents", `{"name":"x","system_prompt":"y","ignored":${nestedObjects(100_000)}}`);
    expect(ignored.status).toBe(201);
    expect(JSON.stringify(AgentSchema.strict().parse(await ignored.json()))).not.toContain("ignored");
    expect(await agentCount(t)).toBe(1);
  });

  it("refuses, as a backstop, any validated body nested past MAX_BODY_DEPTH, naming its top-level field", () => {
    const deep = JSON.parse(`{"field":${nestedObjects(MAX_BODY_DEPTH)}}`) as unknown;
    const c = {} as Parameters<typeof validationHook>[1];
    let thrown: unknown;
    try {
      validationHook({ success: true, target: "json", data: deep }, c);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect(thrown).toMatchObject({ code: "input_too_large", errors: [{ path: "body.field" }] });
    const shallow = JSON.parse(`{"field":${nestedObjects(MAX_BODY_DEPTH - 1)}}`) as unknown;
    expect(() => validationHook({ success: true, target: "json", data: shallow }, c)).not.toThrow();
  });

  it("keeps every stored config serializable: what was accepted reads back the same", async () => {
    const t = await newTenant();
    const config = JSON.parse(nestedObjects(FREE_FORM_MAX_DEPTH)) as Record<string, unknown>;
    const agent = await createAgent(t, { capabilities: [{ ref: "noop", config }] });
    const page = z.object({ data: z.array(AgentSchema) }).parse(await (await callAs(t, "/v1/agents")).json());
    expect(page.data.find((a) => a.id === agent.id)?.capabilities[0]?.config).toEqual(config);
  });

  it("refuses a model's tool arguments nested past the same limit (they are stored like client input)", () => {
    const assembler = new ToolCallAssembler("openai");
    assembler.add(0, { id: "call_1", name: "noop", argumentsText: `{"a":${nestedObjects(10_000)}}` });
    expect(() => assembler.take(0)).toThrow(LlmError);
    assembler.add(1, { id: "call_2", name: "noop", argumentsText: nestedObjects(FREE_FORM_MAX_DEPTH) });
    expect(assembler.take(1).arguments).toEqual(JSON.parse(nestedObjects(FREE_FORM_MAX_DEPTH)));
  });
});
