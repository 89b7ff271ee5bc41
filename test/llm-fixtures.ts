import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { expect, vi } from "vitest";
import { createDb } from "../src/db/client";
import { llmProviders, memberships } from "../src/db/schema";
import { nowIso } from "../src/lib/time";
import { LlmModelSchema, LlmProviderSchema } from "../src/schemas/llm";
import { as, type Caller } from "./fixtures";
import { newTenant } from "./helpers";

/** Creates a provider through the API as `caller` (an admin or owner). */
export async function createLlmProvider(caller: Caller, body: Record<string, unknown> = {}) {
  const res = await as(caller, "/v1/llm-providers", {
    method: "POST",
    json: { name: "OpenAI", provider_type: "openai", ...body },
  });
  expect(res.status).toBe(201);
  return LlmProviderSchema.parse(await res.json());
}

/** Adds a model to a provider through the API. */
export async function createLlmModel(caller: Caller, providerId: string, body: Record<string, unknown> = {}) {
  const res = await as(caller, `/v1/llm-providers/${providerId}/models`, {
    method: "POST",
    json: { model_id: `model-${crypto.randomUUID()}`, ...body },
  });
  expect(res.status).toBe(201);
  return LlmModelSchema.parse(await res.json());
}

/**
 * A second user who is a plain member of `owner`'s org, acting in that org via X-Org-Id.
 * The membership row is written directly so these tests do not depend on the members route.
 */
export async function memberOf(owner: { orgId: string }): Promise<Caller> {
  const other = await newTenant();
  await createDb(env.DB)
    .insert(memberships)
    .values({ orgId: owner.orgId, userId: other.userId, role: "member", createdAt: nowIso() });
  return { headers: { ...other.headers, "x-org-id": owner.orgId } };
}

/** The stored ciphertext of a provider's key, read straight from D1. */
export async function storedCiphertext(providerId: string): Promise<string | null> {
  const row = await createDb(env.DB).select().from(llmProviders).where(eq(llmProviders.id, providerId)).get();
  return row?.apiKeyEncrypted ?? null;
}

/** Captures everything written to the console while `run` executes (the Worker logs in this isolate). */
export async function captureConsole(run: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const methods = ["log", "info", "warn", "error", "debug"] as const;
  const spies = methods.map((m) => vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" "))));
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines.join("\n");
}
