import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { LlmModelWithProviderSchema, LlmProviderSchema } from "../src/schemas/llm";
import { isEnd, listEvents, settledEvents, stored } from "./support/events";
import { expectProblem } from "./support/problems";
import { callAs } from "./support/requests";
import { createLlmModel, createLlmProvider, sendMessage } from "./support/resources";
import { sessionSetup, turnSetup } from "./support/sessions";
import { newTenant } from "./support/tenants";

/** Upstream names added to the "accepted, never emitted" list. */
const NEVER_EMITTED = [
  "reason.recovered",
  "tool.hosted_call",
  "session.title.updated",
  "session.model.changed",
  "schedule.triggered",
  "context.compaction.skipped",
  "context.compaction.failed",
];

describe("upstream event names a filter may carry", () => {
  it("accepts each in types and exclude: types keeps nothing, exclude drops nothing", async () => {
    const { t, session } = await sessionSetup();
    await sendMessage(t, session.id, "hello");
    const log = await settledEvents(t, session.id, 1);
    for (const name of NEVER_EMITTED) {
      expect(await listEvents(t, session.id, `?types=${name}`), name).toEqual([]);
      expect(
        (await listEvents(t, session.id, `?exclude=${name}`)).map((e) => e.id),
        name,
      ).toEqual(log.map((e) => e.id));
      const res = await callAs(t, `/v1/sessions/${session.id}/sse?exclude=${name}&after_sequence=${log.length}`);
      expect(res.status, name).toBe(200);
      await res.body?.cancel();
    }
    await expectProblem(
      await callAs(t, `/v1/sessions/${session.id}/events?types=context.compaction.exploded`, { headers: { accept: "application/json" } }),
      400,
      "validation_failed",
      ["query.types.0"],
    );
  });
});

describe("upstream's read routes for models and providers", () => {
  it("answer GET /v1/models[/{id}] and /v1/providers[/{id}] with the llm- routes' bodies, for the SDK's bare API key", async () => {
    const owner = await newTenant({ apiKey: true });
    const sdk = { headers: { authorization: owner.apiKey ?? "" } };
    const provider = await createLlmProvider(owner);
    const model = await createLlmModel(owner, provider.id);

    const models = await callAs(sdk, "/v1/models");
    expect(models.status).toBe(200);
    const list = z.object({ data: z.array(LlmModelWithProviderSchema) }).parse(await models.json());
    const ours = await (await callAs(owner, "/v1/llm-models")).json();
    expect(list).toEqual(ours);
    expect(list.data.map((m) => m.id)).toContain(model.id);

    const one = await callAs(sdk, `/v1/models/${model.id}`);
    expect(one.status).toBe(200);
    expect(LlmModelWithProviderSchema.parse(await one.json())).toEqual(await (await callAs(owner, `/v1/llm-models/${model.id}`)).json());

    const providers = await callAs(sdk, "/v1/providers");
    expect(providers.status).toBe(200);
    expect(z.object({ data: z.array(LlmProviderSchema) }).parse(await providers.json())).toEqual(
      await (await callAs(owner, "/v1/llm-providers")).json(),
    );
    const p = await callAs(sdk, `/v1/providers/${provider.id}`);
    expect(LlmProviderSchema.parse(await p.json())).toMatchObject({ id: provider.id, api_key_set: provider.api_key_set });
  });

  it("keeps another org's ids unknown, refuses bad ids and writes, and needs credentials", async () => {
    const owner = await newTenant();
    const other = await newTenant();
    const provider = await createLlmProvider(owner);
    const model = await createLlmModel(owner, provider.id);
    await expectProblem(await callAs(other, `/v1/models/${model.id}`), 404, "model_not_found");
    await expectProblem(await callAs(other, `/v1/providers/${provider.id}`), 404, "provider_not_found");
    await expectProblem(await callAs(owner, "/v1/models/not-a-model"), 400, "invalid_id", ["path.model_id"]);
    await expectProblem(await callAs(owner, "/v1/models", { method: "POST", json: { model_id: "x" } }), 405, "method_not_allowed");
    await expectProblem(await callAs({ headers: {} }, "/v1/providers"), 401, "unauthorized");
  });
});

describe("turn.completed's upstream fields", () => {
  it("counts model calls and finished tool calls, names the final reply, and measures the first token", async () => {
    const { t, session, reader } = await turnSetup({ capabilities: ["test_math"] });
    await sendMessage(t, session.id, "what is 2 + 3");
    const events = stored(await reader.collectUntil(isEnd));
    await reader.cancel();
    const completed = events.find((e) => e.type === "turn.completed");
    const replies = events.filter((e) => e.type === "message.created" && (e.data["message"] as { role: string }).role === "agent");
    const final = replies.at(-1)?.data["message"] as { id: string };
    expect(completed?.data).toMatchObject({
      iterations: 2,
      llm_call_count: 2,
      tool_call_count: 1,
      final_message_id: final.id,
    });
    const ttft = completed?.data["time_to_first_token_ms"];
    expect(typeof ttft).toBe("number");
    expect(ttft as number).toBeGreaterThanOrEqual(0);
    expect(ttft as number).toBeLessThanOrEqual(completed?.data["duration_ms"] as number);
  });

  it("counts no tool calls in a plain reply", async () => {
    const { t, session } = await sessionSetup();
    await sendMessage(t, session.id, "hello there");
    const log = await settledEvents(t, session.id, 1);
    const completed = log.find((e) => e.type === "turn.completed");
    const reply = log.filter((e) => e.type === "message.created").at(-1)?.data["message"] as { id: string; role: string };
    expect(reply.role).toBe("agent");
    expect(completed?.data).toMatchObject({ llm_call_count: 1, tool_call_count: 0, final_message_id: reply.id });
  });
});
