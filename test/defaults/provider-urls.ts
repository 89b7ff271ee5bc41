import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { llmModels, llmProviders } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { nowIso } from "../../src/lib/time";
import { sleep } from "../support/async";
import { listEvents, TERMINAL } from "../support/events";
import { FAKE_PROVIDER_KEY, lastRequest, scenarioBase } from "../support/models";
import { expectProblem } from "../support/problems";
import { callAs } from "../support/requests";
import { createAgent, createSession, sendMessage } from "../support/resources";
import { newTenant } from "../support/tenants";

/**
 * A provider row at `baseUrl` and a model of it, written straight to D1: a row stored while
 * ALLOW_PRIVATE_PROVIDER_URLS was on (or before URLs were checked), which the API would now refuse.
 */
async function storedProviderModel(orgId: string, baseUrl: string): Promise<string> {
  const db = createDb(env.DB);
  const now = nowIso();
  const providerId = newId("provider");
  const modelId = newId("model");
  await db.batch([
    db.insert(llmProviders).values({
      id: providerId,
      orgId,
      name: "old",
      providerType: "openai",
      baseUrl,
      apiKeyEncrypted: null,
      status: "active",
      createdAt: now,
      updatedAt: now,
    }),
    db.insert(llmModels).values({
      id: modelId,
      orgId,
      providerId,
      modelId: "fake-model",
      isDefault: false,
      status: "active",
      createdAt: now,
      updatedAt: now,
    }),
  ]);
  return modelId;
}

describe("the Worker with wrangler.toml's settings refuses private provider URLs", () => {
  it("has the setting off", () => {
    expect(env.ALLOW_PRIVATE_PROVIDER_URLS).not.toBe("true");
  });

  it("refuses the fake LLM server's loopback URL on create", async () => {
    const t = await newTenant();
    const res = await callAs(t, "/v1/llm-providers", {
      method: "POST",
      json: { name: "local", provider_type: "openai", base_url: scenarioBase("openai", "text"), api_key: FAKE_PROVIDER_KEY },
    });
    await expectProblem(res, 400, "validation_failed", ["body.base_url"]);
  });

  it("fails the turn with llm_unavailable, without a request, when a stored provider URL is private", async () => {
    const t = await newTenant();
    const base = scenarioBase("openai", "text");
    const agent = await createAgent(t, { default_model_id: await storedProviderModel(t.orgId, base) });
    const session = await createSession(t, agent.id);
    await sendMessage(t, session.id, "hello");
    let events = await listEvents(t, session.id);
    for (let i = 0; i < 200 && !events.some((e) => TERMINAL.has(e.type)); i += 1) {
      await sleep(25);
      events = await listEvents(t, session.id);
    }
    const ends = events.filter((e) => TERMINAL.has(e.type));
    expect(ends.map((e) => [e.type, e.data.error_code])).toEqual([["turn.failed", "llm_unavailable"]]);
    await expect(lastRequest(base), "the fake server received nothing").rejects.toThrow("nothing recorded");
  });
});
