import { and, eq, lt, or, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { idempotencyKeys } from "../db/schema";
import { decryptSecret, type EncryptionEnv, EncryptionError, encryptSecret } from "../lib/encryption";
import { ApiError } from "../lib/errors";
import { IDEMPOTENCY_TTL_MS } from "../lib/idempotency-ttl";

/** How long an in-flight claim holds before a retry may take it over (the request died). */
const LEASE_MS = 60_000;

/** The first answer to a key, stored for replay. */
export interface StoredResponse {
  status: number;
  body: string;
  contentType: string | null;
}

/**
 * What the caller's key stands for now: run the request (the claim is ours, held until `lease`,
 * which also names it: a claim taken over after its lease passed has another) or replay its first answer.
 */
export type Claim = { kind: "claimed"; lease: number } | { kind: "replay"; response: StoredResponse };

/** A key whose first request succeeded but whose answer cannot be replayed (it was not stored, or no key can open it). */
function unreplayable(): ApiError {
  return new ApiError("conflict", {
    detail:
      "The first request with this Idempotency-Key succeeded, but its answer cannot be replayed; " +
      "check what it created, and use a new key to try again",
  });
}

/**
 * Claims `key` for one request of `caller`, in one round trip when the key is new. A key already
 * used with another request (`requestHash`) is 422 `idempotency_key_reused`; one whose first
 * request still runs is 409 `idempotency_key_in_progress`; an expired key, or an in-flight claim
 * whose lease passed (its request died), is taken over.
 */
export async function claimKey(db: Database, env: EncryptionEnv, caller: string, key: string, requestHash: string): Promise<Claim> {
  const now = Date.now();
  const lease = now + LEASE_MS;
  const claimed = await db
    .insert(idempotencyKeys)
    .values({ caller, key, requestHash, state: "in_flight", leaseUntil: lease, expiresAt: now + IDEMPOTENCY_TTL_MS })
    .onConflictDoUpdate({
      target: [idempotencyKeys.caller, idempotencyKeys.key],
      set: {
        requestHash,
        state: "in_flight",
        leaseUntil: lease,
        expiresAt: now + IDEMPOTENCY_TTL_MS,
        status: null,
        body: null,
        contentType: null,
      },
      // Take over only what nobody holds: an expired key, or a dead request's claim on the same request.
      setWhere: or(
        lt(idempotencyKeys.expiresAt, now),
        and(eq(idempotencyKeys.state, "in_flight"), lt(idempotencyKeys.leaseUntil, now), eq(idempotencyKeys.requestHash, requestHash)),
      ),
    })
    .returning({ key: idempotencyKeys.key });
  if (claimed.length > 0) return { kind: "claimed", lease };
  const row = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.caller, caller), eq(idempotencyKeys.key, key)))
    .get();
  if (!row) return claimKey(db, env, caller, key, requestHash); // deleted meanwhile (its request failed): try again
  if (row.requestHash !== requestHash)
    throw new ApiError("idempotency_key_reused", {
      errors: [{ path: "header.idempotency-key", message: "Already used with a different request" }],
    });
  if (row.state === "in_flight") throw new ApiError("idempotency_key_in_progress", { retryAfterSeconds: 1 });
  if (row.status === null || row.body === null) throw unreplayable();
  let body: string;
  try {
    body = await decryptSecret(env, row.body, sealContext(caller, key));
  } catch (err) {
    // Sealed with a key since retired: the answer is gone, and running the request again could create twice.
    if (err instanceof EncryptionError) throw unreplayable();
    throw err;
  }
  return { kind: "replay", response: { status: row.status, body, contentType: row.contentType } };
}

/** Our claim, and no later one: a request that outlived its lease must not settle its successor's claim. */
function ourClaim(caller: string, key: string, lease: number) {
  return and(
    eq(idempotencyKeys.caller, caller),
    eq(idempotencyKeys.key, key),
    eq(idempotencyKeys.state, "in_flight"),
    eq(idempotencyKeys.leaseUntil, lease),
  );
}

/**
 * Records the successful first answer for replay. If it cannot be sealed or stored, the key is
 * still marked done (without an answer), so a retry is told so instead of creating twice.
 */
export async function completeKey(
  db: Database,
  env: EncryptionEnv,
  caller: string,
  key: string,
  lease: number,
  response: StoredResponse,
): Promise<void> {
  try {
    const body = await encryptSecret(env, response.body, sealContext(caller, key));
    await db
      .update(idempotencyKeys)
      .set({ state: "done", status: response.status, body, contentType: response.contentType })
      .where(ourClaim(caller, key, lease));
  } catch (err) {
    await db
      .update(idempotencyKeys)
      .set({ state: "done", status: null, body: null, contentType: null })
      .where(ourClaim(caller, key, lease));
    throw err;
  }
}

/** Forgets a claim whose request failed: only successes are remembered, so the client may retry. */
export async function releaseKey(db: Database, caller: string, key: string, lease: number): Promise<void> {
  await db.delete(idempotencyKeys).where(ourClaim(caller, key, lease));
}

/** Deletes keys past their 24 hours (a few at a time, off the request's path). */
export async function pruneKeys(db: Database): Promise<void> {
  await db.run(
    sql`DELETE FROM ${idempotencyKeys} WHERE rowid IN (SELECT rowid FROM ${idempotencyKeys} WHERE ${idempotencyKeys.expiresAt} < ${Date.now()} LIMIT 100)`,
  );
}

function sealContext(caller: string, key: string): string {
  return `idempotency:${caller}:${key}`;
}
