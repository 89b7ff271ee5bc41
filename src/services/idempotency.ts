import { and, eq, lt, or, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { idempotencyKeys } from "../db/schema";
import { decryptSecret, encryptSecret, type EncryptionEnv } from "../lib/encryption";
import { ApiError } from "../lib/errors";

/** How long a key is remembered (the IETF draft's suggested 24 hours). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** How long an in-flight claim holds before a retry may take it over (the request died). */
const LEASE_MS = 60_000;

/** The first answer to a key, stored for replay. */
export interface StoredResponse {
  status: number;
  body: string;
  contentType: string | null;
}

/** What the caller's key stands for now: run the request (the claim is ours) or replay its first answer. */
export type Claim = { kind: "claimed" } | { kind: "replay"; response: StoredResponse };

/**
 * Claims `key` for one request of `caller`, in one round trip when the key is new. A key already
 * used with another request (`requestHash`) is 422 `idempotency_key_reused`; one whose first
 * request still runs is 409 `idempotency_key_in_progress`; an expired key, or an in-flight claim
 * whose lease passed (its request died), is taken over.
 */
export async function claimKey(db: Database, env: EncryptionEnv, caller: string, key: string, requestHash: string): Promise<Claim> {
  const now = Date.now();
  const claimed = await db
    .insert(idempotencyKeys)
    .values({ caller, key, requestHash, state: "in_flight", leaseUntil: now + LEASE_MS, expiresAt: now + IDEMPOTENCY_TTL_MS })
    .onConflictDoUpdate({
      target: [idempotencyKeys.caller, idempotencyKeys.key],
      set: { requestHash, state: "in_flight", leaseUntil: now + LEASE_MS, expiresAt: now + IDEMPOTENCY_TTL_MS, status: null, body: null, contentType: null },
      // Take over only what nobody holds: an expired key, or a dead request's claim on the same request.
      setWhere: or(
        lt(idempotencyKeys.expiresAt, now),
        and(eq(idempotencyKeys.state, "in_flight"), lt(idempotencyKeys.leaseUntil, now), eq(idempotencyKeys.requestHash, requestHash)),
      ),
    })
    .returning({ key: idempotencyKeys.key });
  if (claimed.length > 0) return { kind: "claimed" };
  const row = await db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.caller, caller), eq(idempotencyKeys.key, key))).get();
  if (!row) return claimKey(db, env, caller, key, requestHash); // deleted meanwhile (its request failed): try again
  if (row.requestHash !== requestHash) throw new ApiError("idempotency_key_reused", { errors: [{ path: "header.idempotency-key", message: "Already used with a different request" }] });
  if (row.state === "in_flight" || row.status === null || row.body === null) {
    throw new ApiError("idempotency_key_in_progress", { retryAfterSeconds: 1 });
  }
  return { kind: "replay", response: { status: row.status, body: await decryptSecret(env, row.body, sealContext(caller, key)), contentType: row.contentType } };
}

/** Records the successful first answer for replay. */
export async function completeKey(db: Database, env: EncryptionEnv, caller: string, key: string, response: StoredResponse): Promise<void> {
  const body = await encryptSecret(env, response.body, sealContext(caller, key));
  await db
    .update(idempotencyKeys)
    .set({ state: "done", status: response.status, body, contentType: response.contentType })
    .where(and(eq(idempotencyKeys.caller, caller), eq(idempotencyKeys.key, key)));
}

/** Forgets a claim whose request failed: only successes are remembered, so the client may retry. */
export async function releaseKey(db: Database, caller: string, key: string): Promise<void> {
  await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.caller, caller), eq(idempotencyKeys.key, key), eq(idempotencyKeys.state, "in_flight")));
}

/** Deletes keys past their 24 hours (a few at a time, off the request's path). */
export async function pruneKeys(db: Database): Promise<void> {
  await db.run(sql`DELETE FROM ${idempotencyKeys} WHERE rowid IN (SELECT rowid FROM ${idempotencyKeys} WHERE ${idempotencyKeys.expiresAt} < ${Date.now()} LIMIT 100)`);
}

function sealContext(caller: string, key: string): string {
  return `idempotency:${caller}:${key}`;
}
