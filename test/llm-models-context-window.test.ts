import { describe, expect, it } from "vitest";
import { CONTEXT_WINDOW_RANGE, contextWindowOf, DEFAULT_CONTEXT_WINDOWS } from "../src/lib/context-window";
import { LlmModelWithProviderSchema } from "../src/schemas/llm";
import { expectProblem } from "./support/problems";
import { callAs } from "./support/requests";
import { createLlmModel, createLlmProvider } from "./support/resources";
import { newTenant } from "./support/tenants";

describe("a model's context_window", () => {
  it("is null (the provider type's default) unless given, can be set and reset, and is validated", async () => {
    const t = await newTenant();
    const provider = await createLlmProvider(t);
    const plain = await createLlmModel(t, provider.id);
    expect(plain.context_window).toBeNull();
    const sized = await createLlmModel(t, provider.id, { context_window: 32_000 });
    expect(sized.context_window).toBe(32_000);

    const patched = await callAs(t, `/v1/llm-models/${plain.id}`, { method: "PATCH", json: { context_window: 16_384 } });
    expect(patched.status).toBe(200);
    expect(LlmModelWithProviderSchema.parse(await patched.json()).context_window).toBe(16_384);
    const reset = await callAs(t, `/v1/llm-models/${plain.id}`, { method: "PATCH", json: { context_window: null } });
    expect(LlmModelWithProviderSchema.parse(await reset.json()).context_window).toBeNull();

    for (const bad of [CONTEXT_WINDOW_RANGE.min - 1, CONTEXT_WINDOW_RANGE.max + 1, 1.5, "8k"]) {
      const res = await callAs(t, `/v1/llm-providers/${provider.id}/models`, {
        method: "POST",
        json: { model_id: `m-${crypto.randomUUID()}`, context_window: bad },
      });
      await expectProblem(res, 400, "validation_failed", ["body.context_window"]);
    }
  });

  it("defaults by provider type, and llmsim's comes from LLMSIM_CONTEXT_WINDOW", () => {
    expect(contextWindowOf("openai", null, {})).toBe(DEFAULT_CONTEXT_WINDOWS.openai);
    expect(contextWindowOf("anthropic", null, {})).toBe(DEFAULT_CONTEXT_WINDOWS.anthropic);
    expect(contextWindowOf("llmsim", null, {})).toBe(DEFAULT_CONTEXT_WINDOWS.llmsim);
    expect(contextWindowOf("llmsim", null, { LLMSIM_CONTEXT_WINDOW: "2048" })).toBe(2048);
    expect(contextWindowOf("openai", 50_000, {})).toBe(50_000);
  });
});
