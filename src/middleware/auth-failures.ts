import type { Context } from "hono";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";
import { describeError, logLine } from "../lib/log";

/** The AUTH_FAILURE_LIMIT binding's period (wrangler.toml): what a refused address is told to wait. */
const PERIOD_SECONDS = 60;
/** Addresses this isolate remembers as over the limit; the oldest go first. */
const MAX_BLOCKED = 10_000;

/**
 * Addresses this isolate has seen refused by the AUTH_FAILURE_LIMIT binding, until when (ms). The
 * binding counts (per Cloudflare location, no round trip); this only remembers its verdict, so an
 * address over the limit is refused before its credential costs a lookup. Another isolate learns
 * the verdict at that address's next failure there: at most one more lookup per isolate and period.
 */
const blockedUntil = new Map<string, number>();

/** The client's address (set by Cloudflare's edge, which clients cannot forge there); null without one (only local tests send none). */
function addressOf(c: Context<AppEnv>): string | null {
  return c.req.header("cf-connecting-ip")?.trim() || null;
}

/** 429 when this address is over its limit of failed credentials: checked before any credential lookup. */
export function refuseBlockedAddress(c: Context<AppEnv>): void {
  const address = addressOf(c);
  if (address === null) return;
  const until = blockedUntil.get(address);
  if (until === undefined) return;
  if (until > Date.now()) throw new ApiError("rate_limited", { retryAfterSeconds: Math.max(1, Math.ceil((until - Date.now()) / 1000)) });
  blockedUntil.delete(address);
}

/**
 * Counts a failed credential (unknown, revoked, expired key, forged token) against the client's
 * address. Over the limit: 429 `rate_limited` instead of the 401, and the address is refused
 * before any lookup for the rest of the period. If the binding fails, the 401 stands (logged).
 */
export async function countFailure(c: Context<AppEnv>, failure: ApiError): Promise<never> {
  const address = addressOf(c);
  if (address === null) throw failure;
  let allowed = true;
  try {
    allowed = (await c.env.AUTH_FAILURE_LIMIT.limit({ key: `auth-failure:${address}` })).success;
  } catch (err) {
    logLine("warn", { msg: "rate limiter unavailable", fail_closed: false, request_id: c.get("requestId"), error: describeError(err) });
  }
  if (allowed) throw failure;
  if (blockedUntil.size >= MAX_BLOCKED) {
    const oldest = blockedUntil.keys().next().value;
    if (oldest !== undefined) blockedUntil.delete(oldest);
  }
  blockedUntil.set(address, Date.now() + PERIOD_SECONDS * 1000);
  throw new ApiError("rate_limited", { retryAfterSeconds: PERIOD_SECONDS });
}
