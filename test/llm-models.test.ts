import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { LlmModelSchema, LlmModelWithProviderSchema } from "../src/schemas/llm";
import { problem } from "./support/problems";
import { type Caller, callAs, type RequestOptions } from "./support/requests";
import { createLlmModel, createLlmProvider } from "./support/resources";
import { memberOf, newTenant } from "./support/tenants";

const ModelList = z.object({ data: z.array(LlmModelSchema) });
const ModelWithProviderList = z.object({ data: z.array(LlmModelWithProviderSchema) });

async function defaults(caller: Caller): Promise<string[]> {
  const { data } = ModelWithProviderList.parse(await (await callAs(caller, "/v1/llm-models")).json());
  return data.filter((m) => m.is_default).map((m) => m.id);
}

describe("LLM models", () => {
  it("adds, lists, gets, updates and deletes a model", async () => {
    const t = await newTenant();
    const provider = await createLlmProvider(t, { name: "OpenAI" });
    const model = await createLlmModel(t, provider.id, { model_id: "gpt-4o-mini", display_name: "GPT-4o mini" });
    expect(model).toMatchObject({
      provider_id: provider.id,
      model_id: "gpt-4o-mini",
      display_name: "GPT-4o mini",
      is_default: false,
      status: "active",
    });
    expect(model.id).toMatch(/^model_[0-9a-f]{32}$/);

    const byProvider = await callAs(t, `/v1/llm-providers/${provider.id}/models`);
    expect(byProvider.status).toBe(200);
    expect(ModelList.parse(await byProvider.json()).data).toEqual([model]);

    const all = await callAs(t, "/v1/llm-models");
    expect(all.status).toBe(200);
    const expected = { ...model, provider: { id: provider.id, name: "OpenAI", provider_type: "openai" } };
    expect(ModelWithProviderList.parse(await all.json()).data).toEqual([expected]);

    const one = await callAs(t, `/v1/llm-models/${model.id}`);
    expect(one.status).toBe(200);
    expect(LlmModelWithProviderSchema.parse(await one.json())).toEqual(expected);

    const patched = await callAs(t, `/v1/llm-models/${model.id}`, { method: "PATCH", json: { display_name: null, status: "disabled" } });
    expect(patched.status).toBe(200);
    expect(LlmModelWithProviderSchema.parse(await patched.json())).toMatchObject({
      model_id: "gpt-4o-mini",
      display_name: null,
      status: "disabled",
    });

    expect((await callAs(t, `/v1/llm-models/${model.id}`, { method: "DELETE" })).status).toBe(204);
    const gone = await callAs(t, `/v1/llm-models/${model.id}`);
    expect(gone.status).toBe(404);
    expect((await problem(gone)).code).toBe("model_not_found");
    const again = await callAs(t, `/v1/llm-models/${model.id}`, { method: "DELETE" });
    expect((await problem(again)).code).toBe("model_not_found");
  });

  it("keeps one default model per organization", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const provider = await createLlmProvider(t);
    const otherDefault = await createLlmModel(other, (await createLlmProvider(other)).id, { is_default: true });

    const first = await createLlmModel(t, provider.id, { is_default: true });
    expect(await defaults(t)).toEqual([first.id]);
    const second = await createLlmModel(t, provider.id, { is_default: true });
    expect(await defaults(t)).toEqual([second.id]);

    const back = await callAs(t, `/v1/llm-models/${first.id}`, { method: "PATCH", json: { is_default: true } });
    expect(back.status).toBe(200);
    expect(LlmModelWithProviderSchema.parse(await back.json()).is_default).toBe(true);
    expect(await defaults(t)).toEqual([first.id]);

    const unset = await callAs(t, `/v1/llm-models/${first.id}`, { method: "PATCH", json: { is_default: false } });
    expect(unset.status).toBe(200);
    expect(await defaults(t)).toEqual([]);

    expect(await defaults(other)).toEqual([otherDefault.id]);
  });

  it("refuses a second model with the same model_id on one provider (409)", async () => {
    const t = await newTenant();
    const provider = await createLlmProvider(t);
    const other = await createLlmProvider(t, { name: "Second" });
    await createLlmModel(t, provider.id, { model_id: "gpt-4o" });
    const dup = await callAs(t, `/v1/llm-providers/${provider.id}/models`, { method: "POST", json: { model_id: "gpt-4o" } });
    expect(dup.status).toBe(409);
    const body = await problem(dup);
    expect(body.code).toBe("conflict");
    expect(body.errors?.map((e) => e.path)).toEqual(["body.model_id"]);
    await createLlmModel(t, other.id, { model_id: "gpt-4o" });
  });

  it("names every invalid field", async () => {
    const t = await newTenant();
    const provider = await createLlmProvider(t);
    const res = await callAs(t, `/v1/llm-providers/${provider.id}/models`, { method: "POST", json: { is_default: "yes", status: 1 } });
    expect(res.status).toBe(400);
    const body = await problem(res);
    expect(body.code).toBe("validation_failed");
    expect(body.errors?.map((e) => e.path).sort()).toEqual(["body.is_default", "body.model_id", "body.status"]);

    const model = await createLlmModel(t, provider.id);
    const patch = await callAs(t, `/v1/llm-models/${model.id}`, { method: "PATCH", json: { model_id: "  " } });
    expect(patch.status).toBe(400);
    expect((await problem(patch)).errors?.map((e) => e.path)).toEqual(["body.model_id"]);
  });

  it("rejects malformed path ids with 400 invalid_id", async () => {
    const t = await newTenant();
    const cases: [string, string][] = [
      ["/v1/llm-models/provider_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f", "path.model_id"],
      ["/v1/llm-models/model_short", "path.model_id"],
      ["/v1/llm-providers/not-an-id/models", "path.provider_id"],
    ];
    for (const [path, field] of cases) {
      const res = await callAs(t, path);
      expect(res.status).toBe(400);
      const body = await problem(res);
      expect(body.code).toBe("invalid_id");
      expect(body.errors?.[0]?.path).toBe(field);
    }
  });

  it("hides another organization's models and providers behind 404", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const provider = await createLlmProvider(a);
    const model = await createLlmModel(a, provider.id);
    for (const init of [{}, { method: "PATCH", json: { is_default: true } }, { method: "DELETE" }]) {
      const res = await callAs(b, `/v1/llm-models/${model.id}`, init);
      expect(res.status).toBe(404);
      expect((await problem(res)).code).toBe("model_not_found");
    }
    const intoForeign = await callAs(b, `/v1/llm-providers/${provider.id}/models`, { method: "POST", json: { model_id: "x" } });
    expect(intoForeign.status).toBe(404);
    expect((await problem(intoForeign)).code).toBe("provider_not_found");
    expect(ModelWithProviderList.parse(await (await callAs(b, "/v1/llm-models")).json()).data).toEqual([]);
    expect(await defaults(a)).toEqual([]);
  });

  it("lets members read but not write (403 forbidden)", async () => {
    const owner = await newTenant();
    const member = await memberOf(owner);
    const provider = await createLlmProvider(owner);
    const model = await createLlmModel(owner, provider.id);
    const attempts: [string, RequestOptions][] = [
      [`/v1/llm-providers/${provider.id}/models`, { method: "POST", json: { model_id: "x" } }],
      [`/v1/llm-models/${model.id}`, { method: "PATCH", json: { is_default: true } }],
      [`/v1/llm-models/${model.id}`, { method: "DELETE" }],
    ];
    for (const [path, init] of attempts) {
      const res = await callAs(member, path, init);
      expect(res.status).toBe(403);
      expect((await problem(res)).code).toBe("forbidden");
    }
    for (const path of ["/v1/llm-models", `/v1/llm-models/${model.id}`, `/v1/llm-providers/${provider.id}/models`]) {
      const res = await callAs(member, path);
      expect(res.status).toBe(200);
      await res.body?.cancel();
    }
  });
});
