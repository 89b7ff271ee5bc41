import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Database } from "../db/client";
import { apiKeys, memberships } from "../db/schema";
import type { Env } from "../env";
import { chunk, D1_MAX_BOUND_PARAMS } from "../lib/d1-params";
import { positiveIntVar as intVar } from "../lib/env-int";
import { credentialKey, isExpired, type StreamCredential } from "./stream-credential";

/**
 * How often a session object with subscribers asks D1 whether their credentials still hold, and
 * how long it waits for the answer before closing them all (it fails closed). Together with the
 * alarm's own delay they make the documented bound (docs/AUTH.md): a stream ends within 10 s of
 * its key being revoked, its user leaving the org, or its token expiring.
 */
export interface StreamAuthSettings {
  checkEveryMs: number;
  readTimeoutMs: number;
}

/** Every 4 s, answered within 2 s (`STREAM_AUTH_CHECK_MS` changes the period, for tests). */
export function streamAuthSettings(env: Pick<Env, "STREAM_AUTH_CHECK_MS">): StreamAuthSettings {
  const checkEveryMs = intVar(env.STREAM_AUTH_CHECK_MS, 4_000);
  return { checkEveryMs, readTimeoutMs: Math.min(2_000, checkEveryMs) };
}

/** Each API key id or user id takes one bound parameter; the org id another. */
const IDS_PER_QUERY = D1_MAX_BOUND_PARAMS - 2;

/**
 * Which of `credentials` still give access to `orgId`: an API key that is not revoked, not
 * expired and whose user is still a member; an access token's user who is still a member. One D1
 * round trip (a batch) for any number of credentials.
 */
async function stillValid(d1: Database, orgId: string, credentials: readonly StreamCredential[], now: number): Promise<Set<string>> {
  const keyIds = [...new Set(credentials.flatMap((c) => (c.apiKeyId !== null ? [c.apiKeyId] : [])))];
  const userIds = [...new Set(credentials.filter((c) => c.apiKeyId === null).map((c) => c.userId))];
  const keyQueries = chunk(keyIds, IDS_PER_QUERY).map((ids) =>
    d1
      .select({ id: apiKeys.id, expiresAt: apiKeys.expiresAt })
      .from(apiKeys)
      .innerJoin(memberships, and(eq(memberships.orgId, apiKeys.orgId), eq(memberships.userId, apiKeys.userId)))
      .where(and(inArray(apiKeys.id, ids), eq(apiKeys.orgId, orgId), isNull(apiKeys.revokedAt))),
  );
  const userQueries = chunk(userIds, IDS_PER_QUERY).map((ids) =>
    d1
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(and(eq(memberships.orgId, orgId), inArray(memberships.userId, ids))),
  );
  const queries = [...keyQueries, ...userQueries];
  const [first, ...rest] = queries;
  if (!first) return new Set();
  const results = await d1.batch([first, ...rest]);
  const valid = new Set<string>();
  results.forEach((rows, index) => {
    for (const row of rows as { id?: string; expiresAt?: string | null; userId?: string }[]) {
      if (index < keyQueries.length && row.id !== undefined) {
        if (row.expiresAt == null || Date.parse(row.expiresAt) > now) valid.add(`key:${row.id}`);
      } else if (row.userId !== undefined) {
        valid.add(`user:${row.userId}`);
      }
    }
  });
  return valid;
}

/** `work`, or a rejection once `ms` have passed. */
function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`credential check took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

/**
 * What a session object knows about its subscribers' credentials: when D1 last confirmed each.
 * It never reads D1 per event: once per `checkEveryMs` while anyone is subscribed, and once for a
 * credential that D1 has not confirmed that recently when it subscribes (so a stream reopened
 * through an isolate whose principal cache still holds a revoked credential is refused).
 */
export class StreamAuth {
  readonly #d1: Database;
  readonly #orgId: string;
  readonly #settings: StreamAuthSettings;
  /** When D1 last confirmed each credential (ms); forgotten with the object, which only costs a read. */
  readonly #confirmedAt = new Map<string, number>();
  #lastSweepAt: number | null = null;

  constructor(d1: Database, orgId: string, settings: StreamAuthSettings) {
    this.#d1 = d1;
    this.#orgId = orgId;
    this.#settings = settings;
  }

  /** When the next sweep is due, or null with no subscriber. */
  nextSweep(now: number, subscribed: boolean): number | null {
    if (!subscribed) return null;
    return this.#lastSweepAt === null ? now : Math.max(now, this.#lastSweepAt + this.#settings.checkEveryMs);
  }

  /**
   * Whether a new subscriber's credential may subscribe: not expired, and confirmed by D1 within
   * the check period (asked now if not). A failed read refuses it. `alone`: nobody else is
   * subscribed, so a confirmation now counts as a sweep.
   */
  async admit(credential: StreamCredential, now: number, alone: boolean): Promise<boolean> {
    const key = credentialKey(credential);
    if (isExpired(credential, now)) return false;
    const confirmed = this.#confirmedAt.get(key);
    if (confirmed !== undefined && now - confirmed < this.#settings.checkEveryMs) return true;
    try {
      const valid = await within(stillValid(this.#d1, this.#orgId, [credential], now), this.#settings.readTimeoutMs);
      this.#record([credential], valid, now);
      if (alone) this.#lastSweepAt = now;
      return valid.has(key);
    } catch {
      return false;
    }
  }

  /**
   * Checks every subscriber's credential at once; returns the credentials whose streams must end
   * (all of them when D1 did not answer in time: the check fails closed).
   */
  async sweep(credentials: readonly StreamCredential[], now: number): Promise<Set<string>> {
    this.#lastSweepAt = now;
    const live = credentials.filter((c) => !isExpired(c, now));
    const ended = new Set(credentials.filter((c) => isExpired(c, now)).map(credentialKey));
    if (live.length === 0) return ended;
    let valid: Set<string>;
    try {
      valid = await within(stillValid(this.#d1, this.#orgId, live, now), this.#settings.readTimeoutMs);
    } catch {
      for (const c of live) ended.add(credentialKey(c));
      return ended;
    }
    this.#record(live, valid, now);
    for (const c of live) if (!valid.has(credentialKey(c))) ended.add(credentialKey(c));
    return ended;
  }

  #record(credentials: readonly StreamCredential[], valid: Set<string>, now: number): void {
    for (const c of credentials) {
      const key = credentialKey(c);
      if (valid.has(key)) this.#confirmedAt.set(key, now);
      else this.#confirmedAt.delete(key);
    }
  }
}
