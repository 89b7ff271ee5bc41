import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb, type Database } from "../src/db/client";
import { llmProviders, orgs } from "../src/db/schema";
import { type EncryptionEnv, EncryptionError } from "../src/lib/encryption";
import { newId } from "../src/lib/ids";
import { nowIso } from "../src/lib/time";
import { BUILTIN_MODEL, chooseModel, type ModelRefs, modelCandidates } from "../src/llm/resolve-model";
import { CreateLlmModelSchema, CreateLlmProviderSchema } from "../src/schemas/llm";
import { createModel } from "../src/services/llm-models";
import { createProvider } from "../src/services/llm-providers";
import { randomEncryptionKey } from "./support/encryption";

// Resolution is exercised on its own, against real D1 rows written by the same services the routes use.

const db = createDb(env.DB);

async function newOrg(): Promise<string> {
  const id = newId("org");
  const now = nowIso();
  await db.insert(orgs).values({ id, name: "Resolution test org", createdAt: now, updatedAt: now });
  return id;
}

async function addProvider(orgId: string, body: Record<string, unknown> = {}, keys: Parameters<typeof createProvider>[1] = env) {
  return createProvider(db, keys, orgId, CreateLlmProviderSchema.parse({ name: "P", provider_type: "openai", ...body }));
}

async function addModel(orgId: string, providerId: string, body: Record<string, unknown> = {}) {
  return createModel(db, orgId, providerId, CreateLlmModelSchema.parse({ model_id: `m-${crypto.randomUUID()}`, ...body }));
}

/** What a turn does, in two steps here: read the candidates the refs name, then choose. */
async function resolveModel(db: Database, encryption: EncryptionEnv, orgId: string, refs: ModelRefs) {
  const ids = Object.values(refs).filter((id): id is string => typeof id === "string" && id !== "");
  return chooseModel(await modelCandidates(db, orgId, ids), encryption, orgId, refs);
}

describe("resolveModel", () => {
  it("falls back to the built-in llmsim model when the org has no models", async () => {
    const orgId = await newOrg();
    const resolved = await resolveModel(db, env, orgId, {});
    expect(resolved).toEqual({
      modelId: null,
      model: "llmsim-model",
      provider: { type: "llmsim", baseUrl: null, apiKey: null },
      contextWindow: null,
    });
    expect(resolved).toEqual(BUILTIN_MODEL);
  });

  it("follows message → session → agent → org default → built-in, level by level", async () => {
    const orgId = await newOrg();
    const provider = await addProvider(orgId, { base_url: "http://localhost:11434/v1" });
    const [msg, ses, agt, def] = [
      await addModel(orgId, provider.id, { model_id: "msg-model" }),
      await addModel(orgId, provider.id, { model_id: "session-model" }),
      await addModel(orgId, provider.id, { model_id: "agent-model" }),
      await addModel(orgId, provider.id, { model_id: "default-model", is_default: true }),
    ];
    const all = { messageModelId: msg.id, sessionModelId: ses.id, agentModelId: agt.id };
    expect((await resolveModel(db, env, orgId, all)).model).toBe("msg-model");
    expect((await resolveModel(db, env, orgId, { ...all, messageModelId: null })).model).toBe("session-model");
    expect((await resolveModel(db, env, orgId, { agentModelId: agt.id })).model).toBe("agent-model");
    const byDefault = await resolveModel(db, env, orgId, {});
    expect(byDefault).toEqual({
      modelId: def?.id,
      model: "default-model",
      provider: { type: "openai", baseUrl: "http://localhost:11434/v1", apiKey: null },
      contextWindow: null,
    });
  });

  it("skips levels whose model is missing, of another org, disabled, or under a disabled provider", async () => {
    const orgId = await newOrg();
    const otherOrg = await newOrg();
    const live = await addProvider(orgId, { provider_type: "anthropic" });
    const off = await addProvider(orgId, { status: "disabled" });
    const foreign = await addModel(otherOrg, (await addProvider(otherOrg)).id, { model_id: "foreign" });
    const disabledModel = await addModel(orgId, live.id, { model_id: "disabled", status: "disabled" });
    const underDisabledProvider = await addModel(orgId, off.id, { model_id: "provider-off" });
    const agentModel = await addModel(orgId, live.id, { model_id: "agent-model" });

    const resolved = await resolveModel(db, env, orgId, {
      messageModelId: disabledModel.id,
      sessionModelId: underDisabledProvider.id,
      agentModelId: agentModel.id,
    });
    expect(resolved.model).toBe("agent-model");
    expect(resolved.provider.type).toBe("anthropic");

    const nothingUsable = await resolveModel(db, env, orgId, {
      messageModelId: newId("model"),
      sessionModelId: foreign.id,
      agentModelId: disabledModel.id,
    });
    expect(nothingUsable).toEqual(BUILTIN_MODEL);
  });

  it("skips a disabled org default to the built-in model", async () => {
    const orgId = await newOrg();
    const provider = await addProvider(orgId);
    await addModel(orgId, provider.id, { is_default: true, status: "disabled" });
    expect(await resolveModel(db, env, orgId, {})).toEqual(BUILTIN_MODEL);
  });

  it("decrypts the provider key, also one sealed with the previous key during a rotation", async () => {
    const orgId = await newOrg();
    const withKey = await addProvider(orgId, { api_key: "sk-resolve-secret" });
    const model = await addModel(orgId, withKey.id, { model_id: "gpt-4o-mini" });
    const resolved = await resolveModel(db, env, orgId, { agentModelId: model.id });
    expect(resolved.provider.apiKey).toBe("sk-resolve-secret");
    expect(resolved.modelId).toBe(model.id);

    const newKey = randomEncryptionKey();
    const rotating = { ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_PREVIOUS: env.ENCRYPTION_KEY };
    expect((await resolveModel(db, rotating, orgId, { agentModelId: model.id })).provider.apiKey).toBe("sk-resolve-secret");
  });

  it("refuses a tampered or foreign ciphertext instead of using another model", async () => {
    const orgId = await newOrg();
    const a = await addProvider(orgId, { api_key: "sk-a" });
    const b = await addProvider(orgId, { api_key: "sk-b" });
    const model = await addModel(orgId, a.id);
    // Copy b's sealed key onto a: bound to b's id, it must not open as a's key.
    const bRow = await db.select().from(llmProviders).where(eq(llmProviders.id, b.id)).get();
    await db
      .update(llmProviders)
      .set({ apiKeyEncrypted: bRow?.apiKeyEncrypted ?? null })
      .where(eq(llmProviders.id, a.id));
    await expect(resolveModel(db, env, orgId, { messageModelId: model.id })).rejects.toBeInstanceOf(EncryptionError);
  });
});
