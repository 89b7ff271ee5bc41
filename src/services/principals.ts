import { and, asc, eq, isNull, lt, or } from "drizzle-orm";
import type { Database } from "../db/client";
import { apiKeys, memberships, orgs, users } from "../db/schema";
import type { Principal } from "../env";
import { DUMMY_PASSWORD_HASH, sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { secretQuery } from "../lib/redact";
import { nowIso } from "../lib/time";
import { principalCache, unknownKeys } from "./principal-cache";

/**
 * The fixed tenant of AUTH_MODE=none: the org and user that `npm run dev` seeds (scripts/dev.mjs),
 * so the dev API key and AUTH_MODE=none see the same data. Valid ids, so every route treats
 * them like any other.
 */
export const LOCAL_ORG_ID = "org_000000000000000000000000000000d1";
export const LOCAL_USER_ID = "user_000000000000000000000000000000d1";

/** last_used_at is rewritten at most this often per key, so a busy key does not cost a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * The principal of a signed-in user: the org named by X-Org-Id if they are a member of it
 * (404 otherwise, as for an org that does not exist), else their default org. A user no longer
 * in their default org falls back to their oldest membership; with no membership at all, null.
 * A user that no longer exists is a 401. Reused from the isolate's cache for a while (principal-cache.ts).
 */
export async function userPrincipal(db: Database, userId: string, requestedOrgId: string | null): Promise<Principal | null> {
  const now = Date.now();
  const cacheKey = `user:${userId}:${requestedOrgId ?? ""}`;
  const cached = principalCache.get(cacheKey, now);
  if (cached) return cached.principal;
  const generation = principalCache.generation;
  const principal = await readUserPrincipal(db, userId, requestedOrgId);
  if (principal) principalCache.set(cacheKey, { principal, validUntil: Number.POSITIVE_INFINITY, lastUsedAt: null }, now, generation);
  return principal;
}

async function readUserPrincipal(db: Database, userId: string, requestedOrgId: string | null): Promise<Principal | null> {
  const row = await db
    .select({ defaultOrgId: users.defaultOrgId, orgId: memberships.orgId, role: memberships.role })
    .from(users)
    .leftJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.orgId, requestedOrgId ?? users.defaultOrgId)))
    .where(eq(users.id, userId))
    .get();
  if (!row) throw new ApiError("unauthorized");
  if (row.orgId !== null && row.role !== null) return { userId, orgId: row.orgId, role: row.role, apiKeyId: null };
  if (requestedOrgId !== null) throw new ApiError("org_not_found");
  const fallback = await db
    .select({ orgId: memberships.orgId, role: memberships.role })
    .from(memberships)
    .where(eq(memberships.userId, userId))
    .orderBy(asc(memberships.createdAt))
    .get();
  if (!fallback) return null;
  return { userId, ...fallback, apiKeyId: null };
}

/**
 * The principal of an API key: its user, acting in the org the key was created in, with the
 * user's current role there. Revoked, expired, or whose user left the org: 401. A different
 * X-Org-Id is a 404, as for an org that does not exist. `touch` (when set) records the use
 * through the client it is given: not the request's D1 session, whose later reads a write would
 * send to the primary.
 * Reused from the isolate's cache for a while (principal-cache.ts), so most requests of a key
 * cost no D1 round trip for it.
 */
export async function apiKeyPrincipal(
  db: Database,
  key: string,
  requestedOrgId: string | null,
): Promise<{ principal: Principal; expiresAt: number | null; touch: ((writer: Database) => Promise<void>) | null }> {
  const hash = await sha256Hex(key);
  const now = Date.now();
  let entry = principalCache.get(`key:${hash}`, now);
  if (!entry) {
    if (unknownKeys.has(hash, now)) throw new ApiError("unauthorized");
    const generation = principalCache.generation;
    const row = await secretQuery(() =>
      db
        .select({
          id: apiKeys.id,
          userId: apiKeys.userId,
          orgId: apiKeys.orgId,
          expiresAt: apiKeys.expiresAt,
          revokedAt: apiKeys.revokedAt,
          lastUsedAt: apiKeys.lastUsedAt,
          role: memberships.role,
        })
        .from(apiKeys)
        .leftJoin(memberships, and(eq(memberships.orgId, apiKeys.orgId), eq(memberships.userId, apiKeys.userId)))
        .where(eq(apiKeys.keyHash, hash))
        .get(),
    );
    const validUntil = row?.expiresAt ? Date.parse(row.expiresAt) : Number.POSITIVE_INFINITY;
    if (!row || row.revokedAt !== null || row.role === null || validUntil <= now) {
      unknownKeys.add(hash, now);
      throw new ApiError("unauthorized");
    }
    const principal: Principal = { userId: row.userId, orgId: row.orgId, role: row.role, apiKeyId: row.id };
    entry = principalCache.set(`key:${hash}`, { principal, validUntil, lastUsedAt: row.lastUsedAt }, now, generation);
  }
  const { principal } = entry;
  const expiresAt = Number.isFinite(entry.validUntil) ? entry.validUntil : null;
  if (requestedOrgId !== null && requestedOrgId !== principal.orgId) throw new ApiError("org_not_found");
  const stale = entry.lastUsedAt === null || Date.parse(entry.lastUsedAt) <= now - LAST_USED_RESOLUTION_MS;
  if (!stale) return { principal, expiresAt, touch: null };
  const usedAt = new Date(now).toISOString();
  entry.lastUsedAt = usedAt;
  const cutoff = new Date(now - LAST_USED_RESOLUTION_MS).toISOString();
  // The WHERE repeats the staleness test so concurrent requests of one key write once, not once each.
  const touch = async (writer: Database) => {
    await writer
      .update(apiKeys)
      .set({ lastUsedAt: usedAt })
      .where(and(eq(apiKeys.id, principal.apiKeyId ?? ""), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, cutoff))));
  };
  return { principal, expiresAt, touch };
}

/**
 * AUTH_MODE=none: every request is the owner of one local org. Its rows are created on first use
 * (idempotently, so concurrent first requests are fine); afterwards this costs one read.
 */
export async function localPrincipal(db: Database): Promise<Principal> {
  const principal: Principal = { userId: LOCAL_USER_ID, orgId: LOCAL_ORG_ID, role: "owner", apiKeyId: null };
  const existing = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.orgId, LOCAL_ORG_ID), eq(memberships.userId, LOCAL_USER_ID)))
    .get();
  if (existing) return principal;
  const now = nowIso();
  await db.batch([
    // The same rows as the dev seed, so whichever comes first, the other finds what it expects.
    db.insert(orgs).values({ id: LOCAL_ORG_ID, name: "Dev organization", createdAt: now, updatedAt: now }).onConflictDoNothing(),
    db
      .insert(users)
      .values({
        id: LOCAL_USER_ID,
        email: "dev@example.com",
        name: "Dev user",
        // Matches no password. The dev seed (scripts/dev.mjs) sets the documented dev password on
        // every start, whichever of the two created the user.
        passwordHash: DUMMY_PASSWORD_HASH,
        defaultOrgId: LOCAL_ORG_ID,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing(),
    db.insert(memberships).values({ orgId: LOCAL_ORG_ID, userId: LOCAL_USER_ID, role: "owner", createdAt: now }).onConflictDoNothing(),
  ]);
  return principal;
}
