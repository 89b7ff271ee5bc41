import { env } from "cloudflare:workers";
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { llmProviders } from "../src/db/schema";
import { currentKeyId, decryptSecret, EncryptionError, encryptSecret } from "../src/lib/encryption";
import { LlmProviderSchema, ReencryptResultSchema } from "../src/schemas/llm";
import { createProvider, reencryptProviderKeys, updateProvider } from "../src/services/llm-providers";
import { captureConsole } from "./support/console";
import { randomEncryptionKey, storedCiphertext } from "./support/encryption";
import { problem } from "./support/problems";
import { callAs, type RequestOptions } from "./support/requests";
import { createLlmModel, createLlmProvider } from "./support/resources";
import { memberOf, newTenant } from "./support/tenants";

const ProviderList = z.object({ data: z.array(LlmProviderSchema) });
const API_KEY = "sk-live-do-not-leak-7f3a9c1e5b2d4f60";

describe("LLM providers", () => {
  it("creates, gets, lists, updates and deletes a provider without ever returning the key", async () => {
    const t = await newTenant();
    let ciphertext = "";
    const lines = await captureConsole(async () => {
      const created = await createLlmProvider(t, { name: "Local vLLM", base_url: "http://10.0.0.5:8000/v1", api_key: API_KEY });
      expect(created).toMatchObject({
        name: "Local vLLM",
        provider_type: "openai",
        base_url: "http://10.0.0.5:8000/v1",
        api_key_set: true,
        status: "active",
      });
      expect(created.id).toMatch(/^provider_[0-9a-f]{32}$/);
      expect(created).not.toHaveProperty("api_key");
      ciphertext = (await storedCiphertext(created.id)) ?? "";
      expect(ciphertext).toMatch(/^v1:[0-9a-f]{8}:/);

      const bodies: string[] = [];
      const read = async (res: Response) => {
        const text = await res.text();
        bodies.push(text);
        return text;
      };
      const get = await callAs(t, `/v1/llm-providers/${created.id}`);
      expect(get.status).toBe(200);
      expect(LlmProviderSchema.parse(JSON.parse(await read(get)))).toEqual(created);

      const list = await callAs(t, "/v1/llm-providers");
      expect(list.status).toBe(200);
      expect(ProviderList.parse(JSON.parse(await read(list))).data.map((p) => p.id)).toEqual([created.id]);

      const renamed = await callAs(t, `/v1/llm-providers/${created.id}`, { method: "PATCH", json: { name: "Renamed" } });
      expect(renamed.status).toBe(200);
      const afterRename = LlmProviderSchema.parse(JSON.parse(await read(renamed)));
      expect(afterRename).toMatchObject({ name: "Renamed", base_url: "http://10.0.0.5:8000/v1", api_key_set: true });
      expect(await decryptSecret(env, (await storedCiphertext(created.id)) ?? "", created.id)).toBe(API_KEY);

      const cleared = await callAs(t, `/v1/llm-providers/${created.id}`, { method: "PATCH", json: { api_key: null, base_url: null } });
      expect(LlmProviderSchema.parse(JSON.parse(await read(cleared)))).toMatchObject({ api_key_set: false, base_url: null });
      expect(await storedCiphertext(created.id)).toBeNull();

      for (const body of bodies) {
        expect(body).not.toContain(API_KEY);
        expect(body).not.toContain(ciphertext);
      }
      const del = await callAs(t, `/v1/llm-providers/${created.id}`, { method: "DELETE" });
      expect(del.status).toBe(204);
      const gone = await callAs(t, `/v1/llm-providers/${created.id}`);
      expect(gone.status).toBe(404);
      expect((await problem(gone)).code).toBe("provider_not_found");
    });
    const logs = lines.join("\n");
    expect(logs).toContain('"msg":"request"');
    expect(logs).not.toContain(API_KEY);
    expect(logs).not.toContain(ciphertext);
  });

  it("reports api_key_set false without a key and true once one is set by PATCH", async () => {
    const t = await newTenant();
    const created = await createLlmProvider(t, { name: "Anthropic", provider_type: "anthropic" });
    expect(created).toMatchObject({ api_key_set: false, base_url: null, provider_type: "anthropic" });
    const res = await callAs(t, `/v1/llm-providers/${created.id}`, { method: "PATCH", json: { api_key: API_KEY, status: "disabled" } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(API_KEY);
    expect(LlmProviderSchema.parse(JSON.parse(text))).toMatchObject({ api_key_set: true, status: "disabled" });
  });

  it("deleting a provider removes its models", async () => {
    const t = await newTenant();
    const provider = await createLlmProvider(t);
    const model = await createLlmModel(t, provider.id);
    expect((await callAs(t, `/v1/llm-providers/${provider.id}`, { method: "DELETE" })).status).toBe(204);
    const res = await callAs(t, `/v1/llm-models/${model.id}`);
    expect(res.status).toBe(404);
    expect((await problem(res)).code).toBe("model_not_found");
  });

  it("names every invalid field and never echoes values", async () => {
    const t = await newTenant();
    const res = await callAs(t, "/v1/llm-providers", {
      method: "POST",
      json: { name: "", provider_type: "azure", base_url: "ftp://example.com", status: "paused" },
    });
    expect(res.status).toBe(400);
    const body = await problem(res);
    expect(body.code).toBe("validation_failed");
    expect(body.errors?.map((e) => e.path).sort()).toEqual(["body.base_url", "body.name", "body.provider_type", "body.status"]);

    const withCredentials = await callAs(t, "/v1/llm-providers", {
      method: "POST",
      json: { name: "x", provider_type: "openai", base_url: `https://user:${API_KEY}@example.com/v1` },
    });
    expect(withCredentials.status).toBe(400);
    const text = await withCredentials.text();
    expect(text).not.toContain(API_KEY);
    expect(JSON.parse(text).errors.map((e: { path: string }) => e.path)).toEqual(["body.base_url"]);

    const tooLong = await callAs(t, "/v1/llm-providers", {
      method: "POST",
      json: { name: "x", provider_type: "openai", api_key: "k".repeat(5000) },
    });
    expect(tooLong.status).toBe(400);
    const big = await problem(tooLong);
    expect(big.code).toBe("input_too_large");
    expect(big.errors?.map((e) => e.path)).toEqual(["body.api_key"]);

    const missing = await callAs(t, "/v1/llm-providers", { method: "POST", json: {} });
    expect((await problem(missing)).errors?.map((e) => e.path).sort()).toEqual(["body.name", "body.provider_type"]);
  });

  it("rejects malformed path ids with 400 invalid_id", async () => {
    const t = await newTenant();
    for (const id of ["nope", "model_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f", "provider_XYZ"]) {
      const res = await callAs(t, `/v1/llm-providers/${id}`);
      expect(res.status).toBe(400);
      const body = await problem(res);
      expect(body.code).toBe("invalid_id");
      expect(body.errors?.[0]?.path).toBe("path.provider_id");
    }
  });

  it("hides another organization's providers behind 404", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const provider = await createLlmProvider(a, { api_key: API_KEY });
    for (const init of [{}, { method: "PATCH", json: { name: "mine" } }, { method: "DELETE" }]) {
      const res = await callAs(b, `/v1/llm-providers/${provider.id}`, init);
      expect(res.status).toBe(404);
      expect((await problem(res)).code).toBe("provider_not_found");
    }
    const models = await callAs(b, `/v1/llm-providers/${provider.id}/models`);
    expect((await problem(models)).code).toBe("provider_not_found");
    const list = ProviderList.parse(await (await callAs(b, "/v1/llm-providers")).json());
    expect(list.data).toEqual([]);
    expect((await callAs(a, `/v1/llm-providers/${provider.id}`)).status).toBe(200);
  });

  it("lets members read but not write (403 forbidden)", async () => {
    const owner = await newTenant();
    const member = await memberOf(owner);
    const provider = await createLlmProvider(owner);
    const attempts: [string, RequestOptions][] = [
      ["/v1/llm-providers", { method: "POST", json: { name: "x", provider_type: "openai" } }],
      [`/v1/llm-providers/${provider.id}`, { method: "PATCH", json: { name: "x" } }],
      [`/v1/llm-providers/${provider.id}`, { method: "DELETE" }],
      ["/v1/llm-providers/re-encrypt", { method: "POST" }],
    ];
    for (const [path, init] of attempts) {
      const res = await callAs(member, path, init);
      expect(res.status).toBe(403);
      expect((await problem(res)).code).toBe("forbidden");
    }
    const list = await callAs(member, "/v1/llm-providers");
    expect(list.status).toBe(200);
    expect(ProviderList.parse(await list.json()).data.map((p) => p.id)).toEqual([provider.id]);
  });
});

describe("LLM provider keys at rest", () => {
  const db = createDb(env.DB);

  it("binds the stored ciphertext to the provider id", async () => {
    const t = await newTenant();
    const provider = await createLlmProvider(t, { api_key: API_KEY });
    const stored = (await storedCiphertext(provider.id)) ?? "";
    expect(stored.split(":")[1]).toBe(await currentKeyId(env));
    await expect(decryptSecret(env, stored, "provider_00000000000000000000000000000000")).rejects.toBeInstanceOf(EncryptionError);
  });

  it("stores nothing when the key cannot be encrypted (missing ENCRYPTION_KEY)", async () => {
    const t = await newTenant();
    const input = { name: "x", provider_type: "openai" as const, api_key: API_KEY, status: "active" as const };
    await expect(createProvider(db, {}, t.orgId, input)).rejects.toBeInstanceOf(EncryptionError);
    expect(await db.select().from(llmProviders).where(eq(llmProviders.orgId, t.orgId))).toEqual([]);
  });

  it("rotates: old ciphertexts stay readable and are re-encrypted by PATCH and by the bulk route's service", async () => {
    const t = await newTenant();
    const oldKey = randomEncryptionKey();
    const newKey = randomEncryptionKey();
    const before = { ENCRYPTION_KEY: oldKey };
    const rotating = { ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_PREVIOUS: oldKey };
    const base = { provider_type: "openai" as const, status: "active" as const, api_key: API_KEY };
    const p1 = await createProvider(db, before, t.orgId, { ...base, name: "one" });
    const p2 = await createProvider(db, before, t.orgId, { ...base, name: "two" });
    await createProvider(db, before, t.orgId, { name: "keyless", provider_type: "openai", status: "active" });

    // Any PATCH, even an empty one, re-seals the stored key with the new key.
    await updateProvider(db, rotating, t.orgId, p1.id, {});
    const p1Stored = (await storedCiphertext(p1.id)) ?? "";
    expect(p1Stored.split(":")[1]).toBe(await currentKeyId(rotating));
    expect(await decryptSecret({ ENCRYPTION_KEY: newKey }, p1Stored, p1.id)).toBe(API_KEY);

    expect(await reencryptProviderKeys(db, rotating, t.orgId)).toEqual({ re_encrypted: 1, unreadable: [], total: 2 });
    expect(await decryptSecret({ ENCRYPTION_KEY: newKey }, (await storedCiphertext(p2.id)) ?? "", p2.id)).toBe(API_KEY);
    expect(await reencryptProviderKeys(db, rotating, t.orgId)).toEqual({ re_encrypted: 0, unreadable: [], total: 2 });
  });

  it("re-encrypt route reports the org's keys (all current under the test key)", async () => {
    const t = await newTenant();
    await createLlmProvider(t, { api_key: API_KEY });
    await createLlmProvider(t);
    const res = await callAs(t, "/v1/llm-providers/re-encrypt", { method: "POST" });
    expect(res.status).toBe(200);
    expect(ReencryptResultSchema.parse(await res.json())).toEqual({ re_encrypted: 0, unreadable: [], total: 1 });
  });

  it("a value sealed under an unknown key cannot be silently re-sealed", async () => {
    const t = await newTenant();
    const provider = await createLlmProvider(t);
    const foreign = await encryptSecret({ ENCRYPTION_KEY: randomEncryptionKey() }, API_KEY, provider.id);
    await db.update(llmProviders).set({ apiKeyEncrypted: foreign }).where(eq(llmProviders.id, provider.id));
    const lines = await captureConsole(async () => {
      const res = await callAs(t, `/v1/llm-providers/${provider.id}`, { method: "PATCH", json: { name: "x" } });
      expect(res.status).toBe(500);
      const body = await res.text();
      expect(JSON.parse(body).code).toBe("internal_error");
      expect(body).not.toContain(foreign);
    });
    const logs = lines.join("\n");
    expect(logs).toContain("EncryptionError");
    expect(logs).not.toContain(foreign);
    expect(logs).not.toContain(API_KEY);

    const report = await callAs(t, "/v1/llm-providers/re-encrypt", { method: "POST" });
    expect(ReencryptResultSchema.parse(await report.json())).toEqual({ re_encrypted: 0, unreadable: [provider.id], total: 1 });
    // The way out: set the key again, which replaces the unreadable value without opening it.
    const fixed = await callAs(t, `/v1/llm-providers/${provider.id}`, { method: "PATCH", json: { api_key: "sk-new" } });
    expect(fixed.status).toBe(200);
    await fixed.body?.cancel();
    expect(await decryptSecret(env, (await storedCiphertext(provider.id)) ?? "", provider.id)).toBe("sk-new");
  });
});
