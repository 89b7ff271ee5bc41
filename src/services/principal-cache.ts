import type { Principal } from "../env";

/**
 * How long a credential's principal is reused within one isolate without asking D1 again. This is
 * the revocation delay across isolates: a revoked API key, a removed member or a changed role is
 * seen at once by the isolate that made the change (it clears its cache) and within this long
 * everywhere else. Expiry is checked on every use, cached or not.
 */
const PRINCIPAL_CACHE_TTL_MS = 10_000;
/** Entries kept per isolate; the oldest go first. */
const MAX_ENTRIES = 5_000;

interface CachedPrincipal {
  principal: Principal;
  /** When the credential itself stops being valid (an API key's expiry), ms since the epoch. */
  validUntil: number;
  cachedUntil: number;
  /** An API key's last recorded use, so a cache hit still knows when to record the next. */
  lastUsedAt: string | null;
}

/**
 * The principals of recently seen credentials, so an authenticated request costs no D1 round trip
 * for its credential most of the time. Keys are the credential's hash (API keys) or the user and
 * requested org (access tokens, whose signature and expiry are checked on every request anyway).
 */
class PrincipalCache {
  readonly #entries = new Map<string, CachedPrincipal>();
  /** Bumped by every clear: an answer read before a clear is never stored after it. */
  #generation = 0;

  /** Taken before a lookup's D1 read and handed to `set`, which drops the answer if a clear came between. */
  get generation(): number {
    return this.#generation;
  }

  get(key: string, now: number): CachedPrincipal | null {
    const entry = this.#entries.get(key);
    if (!entry) return null;
    if (entry.cachedUntil <= now || entry.validUntil <= now) {
      this.#entries.delete(key);
      return null;
    }
    return entry;
  }

  /**
   * Stores an entry read in `generation` and returns it as stored; an entry read before the last
   * clear (a lookup in flight while a key was revoked) is returned to its caller but not stored.
   */
  set(key: string, entry: Omit<CachedPrincipal, "cachedUntil">, now: number, generation: number): CachedPrincipal {
    const stored = { ...entry, cachedUntil: now + PRINCIPAL_CACHE_TTL_MS };
    if (generation !== this.#generation) return stored;
    this.#entries.delete(key);
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, stored);
    return stored;
  }

  /** Forgets everything: called after a change to keys or memberships in this isolate (one that changed something). */
  clear(): void {
    this.#generation += 1;
    this.#entries.clear();
  }
}

/**
 * API key hashes D1 recently answered as unknown, revoked, expired or without a membership, so a
 * client repeating a bad key costs no D1 query per attempt. None of those becomes valid again
 * (keys are random and revocation is final), and an entry lasts as long as a positive one.
 */
class UnknownKeys {
  readonly #until = new Map<string, number>();

  has(hash: string, now: number): boolean {
    const until = this.#until.get(hash);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#until.delete(hash);
    return false;
  }

  add(hash: string, now: number): void {
    this.#until.delete(hash);
    if (this.#until.size >= MAX_ENTRIES) {
      const oldest = this.#until.keys().next().value;
      if (oldest !== undefined) this.#until.delete(oldest);
    }
    this.#until.set(hash, now + PRINCIPAL_CACHE_TTL_MS);
  }
}

export const unknownKeys = new UnknownKeys();

/** One per isolate: it holds no binding, only what D1 answered recently. */
export const principalCache = new PrincipalCache();
