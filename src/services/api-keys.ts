import type { z } from "@hono/zod-openapi";
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Database } from "../db/client";
import { apiKeys } from "../db/schema";
import type { Principal } from "../env";
import { generateApiKey } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { secretQuery } from "../lib/redact";
import { nowIso } from "../lib/time";
import type { CreateApiKeySchema, CreatedApiKeySchema } from "../schemas/auth";
import { type ApiKey, toApiKey } from "../schemas/auth";
import { principalCache } from "./principal-cache";

type ApiKeyRow = typeof apiKeys.$inferSelect;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The caller's live (unrevoked) keys in the org of this request, newest first. Expired keys stay listed until deleted. */
export async function listApiKeys(db: Database, principal: Principal): Promise<ApiKey[]> {
  const rows = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, principal.userId), eq(apiKeys.orgId, principal.orgId), isNull(apiKeys.revokedAt)))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
  return rows.map(toApiKey);
}

/**
 * Creates a key for the caller in the org of this request. Refused when the caller is itself
 * using an API key: a leaked key must not be able to mint keys that outlive its revocation.
 */
export async function createApiKey(
  db: Database,
  principal: Principal,
  input: z.infer<typeof CreateApiKeySchema>,
): Promise<z.infer<typeof CreatedApiKeySchema>> {
  if (principal.apiKeyId !== null) {
    throw new ApiError("forbidden", { detail: "API keys cannot create API keys; sign in with your password" });
  }
  const now = Date.now();
  const expiresAt =
    input.expires_at !== undefined
      ? new Date(input.expires_at).toISOString()
      : input.expires_in_days !== undefined
        ? new Date(now + input.expires_in_days * DAY_MS).toISOString()
        : null;
  const { key, prefix, hash } = await generateApiKey();
  const row: ApiKeyRow = {
    id: newId("key"),
    userId: principal.userId,
    orgId: principal.orgId,
    name: input.name,
    prefix,
    keyHash: hash,
    expiresAt,
    lastUsedAt: null,
    revokedAt: null,
    createdAt: new Date(now).toISOString(),
  };
  await secretQuery(() => db.insert(apiKeys).values(row));
  return { ...toApiKey(row), key };
}

/** Revokes one of the caller's keys in this org; anyone else's key, or an already revoked one, is a 404. */
export async function revokeApiKey(db: Database, principal: Principal, keyId: string): Promise<void> {
  const revoked = await db
    .update(apiKeys)
    .set({ revokedAt: nowIso() })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.userId, principal.userId), eq(apiKeys.orgId, principal.orgId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  // Only a revoke that revoked something clears the cache: a 404 must not let anyone flush it.
  if (revoked.length === 0) throw new ApiError("api_key_not_found");
  principalCache.clear();
}
