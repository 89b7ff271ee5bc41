import { and, desc, eq, isNotNull } from "drizzle-orm";
import type { Database } from "../db/client";
import { llmProviders } from "../db/schema";
import { currentKeyId, type EncryptionEnv, EncryptionError, encryptSecret, reencryptSecret } from "../lib/encryption";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { nowIso } from "../lib/time";
import { type ProviderUrlEnv, privateProviderUrlsAllowed, providerUrlRefusal } from "../llm/provider-url";
import type { CreateLlmProviderInput, LlmProvider, ReencryptResult, UpdateLlmProviderInput } from "../schemas/llm";
import { toLlmProvider } from "../schemas/llm";

export type ProviderRow = typeof llmProviders.$inferSelect;

/** A provider of the org, or 404 `provider_not_found` (the same for another org's id). */
export async function getProviderRow(db: Database, orgId: string, providerId: string): Promise<ProviderRow> {
  const row = await db
    .select()
    .from(llmProviders)
    .where(and(eq(llmProviders.id, providerId), eq(llmProviders.orgId, orgId)))
    .get();
  if (!row) throw new ApiError("provider_not_found");
  return row;
}

/**
 * 400 naming body.base_url when the provider policy refuses the URL (private or loopback address,
 * plain http) and ALLOW_PRIVATE_PROVIDER_URLS is not on; null (the public endpoint) always passes.
 * Turns check it again when they call (src/llm/sse-call.ts).
 */
function assertBaseUrlAllowed(env: ProviderUrlEnv, baseUrl: string | null | undefined): void {
  if (baseUrl === null || baseUrl === undefined) return;
  const refusal = providerUrlRefusal(baseUrl, privateProviderUrlsAllowed(env));
  if (refusal !== null) throw new ApiError("validation_failed", { errors: [{ path: "body.base_url", message: refusal }] });
}

/** The org's providers, newest first. */
export async function listProviders(db: Database, orgId: string): Promise<LlmProvider[]> {
  const rows = await db
    .select()
    .from(llmProviders)
    .where(eq(llmProviders.orgId, orgId))
    .orderBy(desc(llmProviders.createdAt), desc(llmProviders.id));
  return rows.map(toLlmProvider);
}

/** Creates a provider (its base_url checked by the URL policy); its API key is sealed to the new provider id before anything is stored. */
export async function createProvider(
  db: Database,
  env: EncryptionEnv & ProviderUrlEnv,
  orgId: string,
  input: CreateLlmProviderInput,
): Promise<LlmProvider> {
  assertBaseUrlAllowed(env, input.base_url);
  const id = newId("provider");
  const now = nowIso();
  const apiKeyEncrypted = input.api_key ? await encryptSecret(env, input.api_key, id) : null;
  const row = await db
    .insert(llmProviders)
    .values({
      id,
      orgId,
      name: input.name,
      providerType: input.provider_type,
      baseUrl: input.base_url ?? null,
      apiKeyEncrypted,
      status: input.status,
      createdAt: now,
      updatedAt: now,
    })
    .returning()
    .get();
  return toLlmProvider(row);
}

/**
 * The ciphertext to store after an update: a new key is sealed, null removes it, and an
 * untouched key is re-sealed with ENCRYPTION_KEY if an older key sealed it (so any PATCH,
 * even `{}`, completes a key rotation for that provider).
 */
async function nextCiphertext(env: EncryptionEnv, row: ProviderRow, apiKey: string | null | undefined): Promise<string | null> {
  if (apiKey === null) return null;
  if (apiKey !== undefined) return encryptSecret(env, apiKey, row.id);
  return row.apiKeyEncrypted === null ? null : reencryptSecret(env, row.apiKeyEncrypted, row.id);
}

/** Partial update; absent fields are kept. A new base_url must pass the provider URL policy. */
export async function updateProvider(
  db: Database,
  env: EncryptionEnv & ProviderUrlEnv,
  orgId: string,
  providerId: string,
  input: UpdateLlmProviderInput,
): Promise<LlmProvider> {
  assertBaseUrlAllowed(env, input.base_url);
  const row = await getProviderRow(db, orgId, providerId);
  const updated = await db
    .update(llmProviders)
    .set({
      name: input.name ?? row.name,
      providerType: input.provider_type ?? row.providerType,
      baseUrl: input.base_url === undefined ? row.baseUrl : input.base_url,
      apiKeyEncrypted: await nextCiphertext(env, row, input.api_key),
      status: input.status ?? row.status,
      updatedAt: nowIso(),
    })
    .where(and(eq(llmProviders.id, providerId), eq(llmProviders.orgId, orgId)))
    .returning()
    .get();
  if (!updated) throw new ApiError("provider_not_found");
  return toLlmProvider(updated);
}

/** Deletes a provider; its models go with it (foreign key cascade). */
export async function deleteProvider(db: Database, orgId: string, providerId: string): Promise<void> {
  const deleted = await db
    .delete(llmProviders)
    .where(and(eq(llmProviders.id, providerId), eq(llmProviders.orgId, orgId)))
    .returning({ id: llmProviders.id })
    .get();
  if (!deleted) throw new ApiError("provider_not_found");
}

/**
 * Re-seals with ENCRYPTION_KEY every stored key of the org that an older key sealed, in one
 * batch: the bulk form of "a PATCH re-encrypts", run per org after a key rotation. Keys that
 * no configured key opens are listed by provider id rather than failing the whole run; a
 * missing or invalid ENCRYPTION_KEY still fails it (500), since nothing could be re-sealed.
 */
export async function reencryptProviderKeys(db: Database, env: EncryptionEnv, orgId: string): Promise<ReencryptResult> {
  await currentKeyId(env);
  const rows = await db
    .select({ id: llmProviders.id, apiKeyEncrypted: llmProviders.apiKeyEncrypted })
    .from(llmProviders)
    .where(and(eq(llmProviders.orgId, orgId), isNotNull(llmProviders.apiKeyEncrypted)));
  const updates = [];
  const unreadable: string[] = [];
  for (const { id, apiKeyEncrypted: stored } of rows) {
    if (stored === null) continue;
    let next: string;
    try {
      next = await reencryptSecret(env, stored, id);
    } catch (err) {
      if (!(err instanceof EncryptionError)) throw err;
      unreadable.push(id);
      continue;
    }
    if (next === stored) continue;
    // Matching the old ciphertext keeps a concurrent PATCH's new key from being overwritten.
    updates.push(
      db
        .update(llmProviders)
        .set({ apiKeyEncrypted: next })
        .where(and(eq(llmProviders.id, id), eq(llmProviders.orgId, orgId), eq(llmProviders.apiKeyEncrypted, stored))),
    );
  }
  const [first, ...rest] = updates;
  if (first) await db.batch([first, ...rest]);
  return { re_encrypted: updates.length, unreadable, total: rows.length };
}
