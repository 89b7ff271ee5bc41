import { env } from "cloudflare:workers";
import type { Env } from "../../src/env";

/**
 * A RATE_LIMITER binding whose Durable Object cannot be reached: every call fails the way a
 * stub's RPC does when the object is overloaded or its connection drops.
 */
export function unreachableRateLimiter(): Env["RATE_LIMITER"] {
  const fail = () => Promise.reject(new Error("Network connection lost."));
  const stub = { hit: fail };
  const namespace = { idFromName: env.RATE_LIMITER.idFromName.bind(env.RATE_LIMITER), get: () => stub };
  // Only the two methods the rate limit middleware calls exist; the cast says so.
  return namespace as unknown as Env["RATE_LIMITER"];
}
