import { DurableObject } from "cloudflare:workers";

export interface RateLimitResult {
  allowed: boolean;
  remaining: number;
  retryAfterSeconds: number;
}

/**
 * One object per client IP and route of login and register: a fixed-window counter that is exact
 * and global, because every request for that identity reaches this one object wherever it comes
 * from. Those two routes are what password guessing and mass sign-ups hammer, and a per-location
 * count (the Rate Limiting binding's) would let an attacker multiply the limit by spreading over
 * locations; they are rare enough that a round trip to the object costs nothing that matters.
 * The rest of the API uses the binding (middleware/rate-limit.ts). The window lives in memory; an
 * evicted object starts a fresh window, which only ever lets a caller through early.
 */
export class RateLimiter extends DurableObject<unknown> {
  #windowStart = 0;
  #count = 0;

  /** Counts one request against `limit` per `windowSeconds`. */
  hit(limit: number, windowSeconds: number): RateLimitResult {
    const now = Date.now();
    const windowMs = windowSeconds * 1000;
    if (now - this.#windowStart >= windowMs) {
      this.#windowStart = now;
      this.#count = 0;
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((this.#windowStart + windowMs - now) / 1000));
    if (this.#count >= limit) return { allowed: false, remaining: 0, retryAfterSeconds };
    this.#count += 1;
    return { allowed: true, remaining: limit - this.#count, retryAfterSeconds };
  }
}
