import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { LlmModelSchema } from "../src/schemas/llm";
import { expectProblem } from "./support/problems";
import { callAs, type Caller } from "./support/requests";
import { createLlmModel, createLlmProvider } from "./support/resources";
import { newTenant } from "./support/tenants";

/** How many of `responses` had each status, e.g. `{201: 1, 409: 7}`; every body is read. */
async function statusCounts(responses: Response[]): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (const res of responses) {
    await res.clone().text();
    counts[res.status] = (counts[res.status] ?? 0) + 1;
  }
  return counts;
}

/** Fires `n` copies of a request at once. */
function together(n: number, send: () => Promise<Response>): Promise<Response[]> {
  return Promise.all(Array.from({ length: n }, send));
}

/** A provider's models as the API lists them. */
async function providerModels(caller: Caller, providerId: string) {
  const res = await callAs(caller, `/v1/llm-providers/${providerId}/models`);
  return z.object({ data: z.array(LlmModelSchema) }).parse(await res.json()).data;
}

/** Every refused response of a race is the documented 409. */
async function expectConflicts(responses: Response[], code: "conflict" | "email_taken" = "conflict"): Promise<void> {
  for (const res of responses.filter((r) => r.status !== 201 && r.status !== 200)) await expectProblem(res, 409, code);
}

describe("races: concurrent creates of anything unique have one winner", () => {
  it("eight parallel POSTs of one model_id to one provider create it once; the rest are 409 (issue 15, bug 2)", async () => {
    const t = await newTenant();
    const provider = await createLlmProvider(t);
    for (let round = 0; round < 10; round += 1) {
      const modelId = `gpt-race-${round}`;
      const responses = await together(8, () =>
        callAs(t, `/v1/llm-providers/${provider.id}/models`, { method: "POST", json: { model_id: modelId } }),
      );
      expect(await statusCounts(responses), `round ${round}`).toEqual({ 201: 1, 409: 7 });
      await expectConflicts(responses);
      expect((await providerModels(t, provider.id)).filter((m) => m.model_id === modelId)).toHaveLength(1);
    }
  });

  it("two models renamed to the same model_id at once: one rename wins", async () => {
    const t = await newTenant();
    const provider = await createLlmProvider(t);
    for (let round = 0; round < 5; round += 1) {
      const models = await Promise.all(Array.from({ length: 4 }, () => createLlmModel(t, provider.id)));
      const target = `renamed-${round}`;
      const responses = await Promise.all(models.map((m) => callAs(t, `/v1/llm-models/${m.id}`, { method: "PATCH", json: { model_id: target } })));
      expect(await statusCounts(responses), `round ${round}`).toEqual({ 200: 1, 409: 3 });
      await expectConflicts(responses);
      expect((await providerModels(t, provider.id)).filter((m) => m.model_id === target)).toHaveLength(1);
    }
  });

  it("the same model_id under two providers is not a conflict", async () => {
    const t = await newTenant();
    const [a, b] = await Promise.all([createLlmProvider(t), createLlmProvider(t)]);
    if (!a || !b) throw new Error("providers");
    const responses = await Promise.all(
      [a, b].map((p) => callAs(t, `/v1/llm-providers/${p.id}/models`, { method: "POST", json: { model_id: "shared-name" } })),
    );
    expect(await statusCounts(responses)).toEqual({ 201: 2 });
  });
});
