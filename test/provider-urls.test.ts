import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { createDriver } from "../src/llm/create-driver";
import { driverOptionsFromEnv, resolveDriverOptions } from "../src/llm/driver-options";
import { LlmError } from "../src/llm/types";
import { LlmProviderSchema } from "../src/schemas/llm";
import { collect, FAST, llmRequest } from "./support/drivers";
import { FAKE_PROVIDER_KEY, lastRequest, scenarioBase } from "./support/models";
import { expectProblem } from "./support/problems";
import { callWith, type RequestOptions } from "./support/requests";
import { newTenant, type Tenant } from "./support/tenants";

/** The Worker as deployed by default: private provider URLs are not allowed. */
const STRICT = { ALLOW_PRIVATE_PROVIDER_URLS: undefined };
/** The Worker with the documented setting on (local model servers). */
const LOCAL = { ALLOW_PRIVATE_PROVIDER_URLS: "true" };

/** Addresses a provider must not be pointed at: the list, and more of the same. */
const INTERNAL = [
  "http://127.0.0.1:8080/v1",
  "http://169.254.169.254/latest/meta-data/",
  "http://metadata.google.internal/computeMetadata/v1",
  "http://[fd00::1]/v1",
  "http://localhost:6379",
  "http://[::ffff:127.0.0.1]/v1",
  "https://127.0.0.1/v1",
  "https://169.254.169.254/latest/meta-data/",
  "https://metadata.google.internal/v1",
  "https://[fd00::1]/v1",
  "https://localhost:6379",
  "https://[::ffff:127.0.0.1]/v1",
  "https://10.0.0.5:8000/v1",
  "https://192.168.1.20:11434/v1",
  "https://[::1]/v1",
  "https://ollama.local/v1",
  "https://127.0.0.1.nip.io/v1",
  "https://gpu-box/v1",
];

/** Public URLs a provider may use with the setting off (https, public address, any port). */
const PUBLIC = [
  "https://api.openai.com/v1",
  "https://openrouter.ai/api/v1",
  "https://llm.example.com:8443/v1",
  "https://[2606:4700::1111]/v1",
];

function send(overrides: Record<string, string | undefined>, t: Tenant, path: string, init: RequestOptions = {}) {
  return callWith(overrides, path, { ...init, headers: { ...t.headers, ...(init.headers as Record<string, string> | undefined) } });
}

async function providerCount(t: Tenant): Promise<number> {
  const res = await send(STRICT, t, "/v1/llm-providers");
  return z.object({ data: z.array(LlmProviderSchema) }).parse(await res.json()).data.length;
}

describe("provider base_url: the public-address policy of web_fetch, unless ALLOW_PRIVATE_PROVIDER_URLS=true", () => {
  it("refuses internal addresses on create, naming body.base_url, and stores nothing", async () => {
    const t = await newTenant();
    for (const base_url of INTERNAL) {
      const res = await send(STRICT, t, "/v1/llm-providers", {
        method: "POST",
        json: { name: "x", provider_type: "openai", base_url, api_key: FAKE_PROVIDER_KEY },
      });
      await expectProblem(res, 400, "validation_failed", ["body.base_url"]).catch((err: unknown) => {
        throw new Error(`${base_url}: ${String(err)}`);
      });
    }
    expect(await providerCount(t)).toBe(0);
  });

  it("refuses plain http to a public host with the setting off: the key would cross the internet in clear", async () => {
    const t = await newTenant();
    const res = await send(STRICT, t, "/v1/llm-providers", {
      method: "POST",
      json: { name: "x", provider_type: "anthropic", base_url: "http://api.example.com/v1" },
    });
    await expectProblem(res, 400, "validation_failed", ["body.base_url"]);
  });

  it("accepts public https URLs and the default endpoint with the setting off", async () => {
    const t = await newTenant();
    for (const base_url of [...PUBLIC, null]) {
      const res = await send(STRICT, t, "/v1/llm-providers", { method: "POST", json: { name: "x", provider_type: "openai", base_url } });
      expect(res.status, `${String(base_url)}: ${await res.clone().text()}`).toBe(201);
      expect(LlmProviderSchema.parse(await res.json()).base_url).toBe(base_url);
    }
  });

  it("refuses an update to an internal address and keeps the stored URL", async () => {
    const t = await newTenant();
    const created = await send(STRICT, t, "/v1/llm-providers", {
      method: "POST",
      json: { name: "x", provider_type: "openai", base_url: PUBLIC[0] },
    });
    const provider = LlmProviderSchema.parse(await created.json());
    for (const base_url of INTERNAL) {
      const res = await send(STRICT, t, `/v1/llm-providers/${provider.id}`, { method: "PATCH", json: { base_url } });
      await expectProblem(res, 400, "validation_failed", ["body.base_url"]);
    }
    const after = LlmProviderSchema.parse(await (await send(STRICT, t, `/v1/llm-providers/${provider.id}`)).json());
    expect(after.base_url).toBe(PUBLIC[0]);
  });

  it("accepts local model servers, plain http included, only with ALLOW_PRIVATE_PROVIDER_URLS=true", async () => {
    const t = await newTenant();
    for (const base_url of ["http://10.0.0.5:8000/v1", "http://localhost:11434/v1", "http://127.0.0.1:1234/v1"]) {
      const res = await send(LOCAL, t, "/v1/llm-providers", { method: "POST", json: { name: "x", provider_type: "openai", base_url } });
      expect(res.status, base_url).toBe(201);
      await res.body?.cancel();
    }
    for (const value of ["1", "yes", "TRUE ", "on", ""]) {
      const res = await send({ ALLOW_PRIVATE_PROVIDER_URLS: value }, t, "/v1/llm-providers", {
        method: "POST",
        json: { name: "x", provider_type: "openai", base_url: INTERNAL[0] },
      });
      await expectProblem(res, 400, "validation_failed", ["body.base_url"]);
    }
  });

  it("reads the setting into the drivers' options: only the exact value true turns it on", () => {
    const allowed = (value: string | undefined) =>
      resolveDriverOptions(driverOptionsFromEnv({ ALLOW_PRIVATE_PROVIDER_URLS: value })).allowPrivateUrls;
    expect(allowed("true")).toBe(true);
    for (const value of [undefined, "false", "1", "yes", "TRUE", ""]) expect(allowed(value), String(value)).toBe(false);
  });

  it("refuses at call time too: a stored internal URL is never fetched when the setting is off", async () => {
    for (const type of ["openai", "anthropic"] as const) {
      const base = scenarioBase(type, "text");
      const strict = createDriver({ type, baseUrl: base, apiKey: FAKE_PROVIDER_KEY }, { ...FAST, allowPrivateUrls: false });
      const { events, error } = await collect(strict, llmRequest());
      expect(events).toEqual([]);
      expect(error).toBeInstanceOf(LlmError);
      expect((error as LlmError).code).toBe("llm_unavailable");
      await expect(lastRequest(base), "the fake server received nothing").rejects.toThrow("nothing recorded");
      // The drivers' own default is the strict one.
      const byDefault = createDriver({ type, baseUrl: base, apiKey: FAKE_PROVIDER_KEY }, { firstByteTimeoutMs: 300, idleTimeoutMs: 300 });
      expect(((await collect(byDefault, llmRequest())).error as LlmError).code).toBe("llm_unavailable");
    }
  });

  it("does not follow a provider's redirect, so a public URL cannot bounce a call (and its key) inward", async () => {
    const seen: { url: string; redirect: RequestInit["redirect"] }[] = [];
    const redirecting: typeof fetch = async (input, init) => {
      seen.push({ url: String(input), redirect: init?.redirect });
      return new Response(null, { status: 307, headers: { location: "http://169.254.169.254/latest/meta-data/" } });
    };
    const driver = createDriver(
      { type: "openai", baseUrl: "https://api.example.com/v1", apiKey: FAKE_PROVIDER_KEY },
      { ...FAST, fetch: redirecting },
    );
    const { error } = await collect(driver, llmRequest());
    expect(error).toBeInstanceOf(LlmError);
    expect(seen).toEqual([{ url: "https://api.example.com/v1/chat/completions", redirect: "manual" }]);
  });
});
