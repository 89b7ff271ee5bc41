import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export interface RateLimitResult {
  allowed: boolean;
  remaining: number;
  retryAfterSeconds: number;
}

/**
 * One object per limited identity (`login:<ip>`, `api:<user or key>`): a fixed-window counter
 * that holds across isolates because every request for that identity reaches this one object.
 * The window lives in memory; an evicted object starts a fresh window, which only ever lets
 * a caller through early, never locks one out.
 */
export class RateLimiter extends DurableObject<Env> {
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
