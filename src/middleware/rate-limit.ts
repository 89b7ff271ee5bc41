import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { envInt } from "../lib/env-int";
import { ApiError } from "../lib/errors";
import { describeError, logLine } from "../lib/log";
import type { RouteEntry } from "../lib/method-not-allowed";
import { routeTraits } from "./traits";

const DEFAULT_PER_IP_PER_MINUTE = 10;
const WINDOW_SECONDS = 60;
/** The API binding's period (wrangler.toml [[ratelimits]] simple.period): a refused caller retries after it. */
const API_PERIOD_SECONDS = 60;

/** A configured per-minute limit: a non-negative integer (0 turns the limit off), else the default. */
export function limitFrom(value: string | undefined, fallback: number): number {
  return envInt(value, 0) ?? fallback;
}

/**
 * Counts one login or register attempt in the RateLimiter Durable Object of that IP and route
 * (exact and global). When the object cannot be reached the request fails closed (503): these
 * are the routes an attacker hammers.
 */
async function enforcePerIp(c: Context<AppEnv>, name: string, limit: number): Promise<void> {
  if (limit === 0) return;
  const ns = c.env.RATE_LIMITER;
  // What the limiter object answers (rate-limit/login-limiter-object.ts, which middleware does not import).
  let result: { allowed: boolean; retryAfterSeconds: number };
  try {
    result = await ns.get(ns.idFromName(name)).hit(limit, WINDOW_SECONDS);
  } catch (err) {
    logLine("warn", { msg: "rate limiter unavailable", fail_closed: true, request_id: c.get("requestId"), error: describeError(err) });
    throw new ApiError("service_unavailable", { retryAfterSeconds: 1, cause: err });
  }
  if (!result.allowed) throw new ApiError("rate_limited", { retryAfterSeconds: result.retryAfterSeconds });
}

/**
 * Counts one API request of `key` with the Rate Limiting binding, at this location, with no round
 * trip. If the binding fails the request goes through (fail open: a limiter hiccup is not an outage).
 */
async function enforceApi(c: Context<AppEnv>, key: string): Promise<void> {
  let outcome: RateLimitOutcome;
  try {
    outcome = await c.env.API_RATE_LIMIT.limit({ key });
  } catch (err) {
    logLine("warn", { msg: "rate limiter unavailable", fail_closed: false, request_id: c.get("requestId"), error: describeError(err) });
    return;
  }
  if (!outcome.success) throw new ApiError("rate_limited", { retryAfterSeconds: API_PERIOD_SECONDS });
}

/** The path without trailing slashes: the app is not strict about them, so neither is a per-address count. */
function normalizedPath(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

/**
 * Rate limits /v1 (after `authenticate`): the routes that declare `limitedPerAddress` (login and
 * register, where guessing passwords or mass sign-ups would happen) per client IP
 * (RATE_LIMIT_LOGIN_PER_MINUTE, default 10, exact and global); everything else per API key, or
 * per user for access tokens, with the API_RATE_LIMIT binding (600 a minute at each location,
 * set in wrangler.toml). Other public routes are not limited.
 */
export function rateLimit(app: { routes: RouteEntry[] }) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (routeTraits(c, app)?.limitedPerAddress) {
      const path = normalizedPath(c.req.path);
      // cf-connecting-ip is set by Cloudflare's edge and cannot be forged by the client there.
      const ip = c.req.header("cf-connecting-ip") ?? "unknown";
      await enforcePerIp(c, `ip:${path}:${ip}`, limitFrom(c.env.RATE_LIMIT_LOGIN_PER_MINUTE, DEFAULT_PER_IP_PER_MINUTE));
      return next();
    }
    // Unset on the public routes, which have no caller to count against.
    const caller = c.var.caller;
    if (caller) await enforceApi(c, caller.apiKeyId ? `key:${caller.apiKeyId}` : `user:${caller.userId}`);
    return next();
  });
}
