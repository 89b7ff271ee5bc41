import { describe, expect, it } from "vitest";
import { AgentPage } from "../src/routes/agents";
import { AgentSchema } from "../src/schemas/agents";
import { problem } from "./support/problems";
import { type Caller, callAs } from "./support/requests";
import { createAgent } from "./support/resources";
import { newTenant } from "./support/tenants";

const MODEL_ELSEWHERE = `model_${"0".repeat(32)}`;

/** POSTs or PATCHes an agent body and checks status, code and the exact errors[].path list. */
async function expectRejected(
  t: Caller,
  path: string,
  method: "POST" | "PATCH",
  json: unknown,
  status: number,
  code: string,
  paths: string[],
) {
  const res = await callAs(t, path, { method, json });
  expect(res.status, JSON.stringify(json).slice(0, 120)).toBe(status);
  const body = await problem(res);
  expect(body.code).toBe(code);
  expect(body.errors?.map((e) => e.path).sort()).toEqual([...paths].sort());
}

const base = { name: "n", system_prompt: "x" };

describe("agent validation", () => {
  it("names every invalid field in a 400", async () => {
    const t = await newTenant();
    const res = await callAs(t, "/v1/agents", { method: "POST", json: { name: "", capabilities: "x", tags: [1] } });
    expect(res.status).toBe(400);
    const body = await problem(res);
    expect(body.code).toBe("validation_failed");
    expect(body.errors?.map((e) => e.path)).toEqual(
      expect.arrayContaining(["body.name", "body.system_prompt", "body.capabilities", "body.tags.0"]),
    );
  });

  it("answers input_too_large naming the field over its limit, counting bytes", async () => {
    const t = await newTenant();
    await expectRejected(t, "/v1/agents", "POST", { name: "é".repeat(1025), system_prompt: "x" }, 400, "input_too_large", ["body.name"]);
    await expectRejected(t, "/v1/agents", "POST", { ...base, capabilities: Array(251).fill("noop") }, 400, "input_too_large", [
      "body.capabilities",
    ]);
    await expectRejected(t, "/v1/agents", "POST", { ...base, description: "d".repeat(10 * 1024 + 1) }, 400, "input_too_large", [
      "body.description",
    ]);
    await expectRejected(t, "/v1/agents", "POST", { ...base, tags: ["é".repeat(65)] }, 400, "input_too_large", ["body.tags.0"]);
  });

  it("answers input_too_large for an over-long capability id in either form, at its own path", async () => {
    const t = await newTenant();
    const long = "é".repeat(65);
    await expectRejected(t, "/v1/agents", "POST", { ...base, capabilities: ["noop", long] }, 400, "input_too_large", [
      "body.capabilities.1",
    ]);
    await expectRejected(t, "/v1/agents", "POST", { ...base, capabilities: [{ ref: long }] }, 400, "input_too_large", [
      "body.capabilities.0.ref",
    ]);
  });

  it("keeps validation_failed when a size issue comes with any other issue, listing both", async () => {
    const t = await newTenant();
    const long = "x".repeat(129);
    await expectRejected(t, "/v1/agents", "POST", { name: "é".repeat(1025) }, 400, "validation_failed", [
      "body.name",
      "body.system_prompt",
    ]);
    await expectRejected(t, "/v1/agents", "POST", { ...base, capabilities: [{ ref: long, config: 5 }] }, 400, "validation_failed", [
      "body.capabilities.0.ref",
      "body.capabilities.0.config",
    ]);
  });

  it("refuses a repeated capability ref with 400 naming the repeat", async () => {
    const t = await newTenant();
    await expectRejected(
      t,
      "/v1/agents",
      "POST",
      { ...base, capabilities: ["noop", "test_math", { ref: "noop", config: { a: 1 } }] },
      400,
      "validation_failed",
      ["body.capabilities.2"],
    );
    const agent = await createAgent(t, { capabilities: ["noop"] });
    await expectRejected(
      t,
      `/v1/agents/${agent.id}`,
      "PATCH",
      { capabilities: ["test_math", "test_math", "test_math"] },
      400,
      "validation_failed",
      ["body.capabilities.1", "body.capabilities.2"],
    );
    expect(AgentSchema.parse(await (await callAs(t, `/v1/agents/${agent.id}`)).json()).capabilities).toEqual([{ ref: "noop", config: {} }]);
  });

  it("answers 422 for unknown capability ids, naming each, and stores nothing", async () => {
    const t = await newTenant();
    await expectRejected(
      t,
      "/v1/agents",
      "POST",
      { ...base, capabilities: ["noop", "nope", { ref: "also_nope" }] },
      422,
      "unknown_capability",
      ["body.capabilities.1", "body.capabilities.2"],
    );
    expect(AgentPage.parse(await (await callAs(t, "/v1/agents")).json())).toMatchObject({ data: [], total: 0 });
  });

  it("answers 422 for a default model that is not the org's", async () => {
    const t = await newTenant();
    await expectRejected(t, "/v1/agents", "POST", { ...base, default_model_id: MODEL_ELSEWHERE }, 422, "unknown_model", [
      "body.default_model_id",
    ]);
  });

  it("PATCH answers 400 naming each field, input_too_large, and 422 unknown capability or model, changing nothing", async () => {
    const t = await newTenant();
    const agent = await createAgent(t, { capabilities: ["noop"], tags: ["keep"] });
    const path = `/v1/agents/${agent.id}`;
    await expectRejected(t, path, "PATCH", { name: "", status: "deleted", tags: "x", default_model_id: "m" }, 400, "validation_failed", [
      "body.name",
      "body.status",
      "body.tags",
      "body.default_model_id",
    ]);
    await expectRejected(t, path, "PATCH", { description: "d".repeat(10 * 1024 + 1) }, 400, "input_too_large", ["body.description"]);
    await expectRejected(t, path, "PATCH", { name: "x".repeat(2049) }, 400, "input_too_large", ["body.name"]);
    await expectRejected(t, path, "PATCH", { name: "changed", capabilities: ["test_math", "nope"] }, 422, "unknown_capability", [
      "body.capabilities.1",
    ]);
    await expectRejected(t, path, "PATCH", { name: "changed", default_model_id: MODEL_ELSEWHERE }, 422, "unknown_model", [
      "body.default_model_id",
    ]);
    expect(AgentSchema.parse(await (await callAs(t, path)).json())).toEqual(agent);
  });
});
