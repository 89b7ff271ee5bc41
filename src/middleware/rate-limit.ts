import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { envInt } from "../lib/env-int";
import { ApiError } from "../lib/errors";
import { describeError, logLine } from "../lib/log";
import { normalizedPath } from "./auth";

/** Public routes limited per client IP, where guessing passwords or mass sign-ups would happen. */
const PER_IP_PATHS = new Set(["/v1/auth/login", "/v1/auth/register"]);
const DEFAULT_PER_IP_PER_MINUTE = 10;
const DEFAULT_API_PER_MINUTE = 600;
const WINDOW_SECONDS = 60;

/** A configured per-minute limit: a non-negative integer (0 turns the limit off), else the default. */
export function limitFrom(value: string | undefined, fallback: number): number {
  return envInt(value, 0) ?? fallback;
}

/**
 * Counts one request against `name`'s window in its RateLimiter Durable Object (shared by every
 * isolate). When the object cannot be reached, login and register fail closed (503), because they
 * are what an attacker hammers; the rest of the API fails open, so a limiter hiccup is not an outage.
 */
async function enforce(c: Context<AppEnv>, name: string, limit: number, failClosed: boolean): Promise<void> {
  if (limit === 0) return;
  const ns = c.env.RATE_LIMITER;
  let result;
  try {
    result = await ns.get(ns.idFromName(name)).hit(limit, WINDOW_SECONDS);
  } catch (err) {
    logLine("warn", { msg: "rate limiter unavailable", fail_closed: failClosed, request_id: c.get("requestId"), error: describeError(err) });
    if (failClosed) throw new ApiError("service_unavailable", { retryAfterSeconds: 1, cause: err });
    return;
  }
  if (!result.allowed) throw new ApiError("rate_limited", { retryAfterSeconds: result.retryAfterSeconds });
}

/**
 * Rate limits /v1 (after `authenticate`): login and register per client IP
 * (RATE_LIMIT_LOGIN_PER_MINUTE, default 10); everything else per API key, or per user for
 * access tokens (RATE_LIMIT_API_PER_MINUTE, default 600). Other public routes are not limited.
 */
export function rateLimit() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const path = normalizedPath(c.req.path);
    if (PER_IP_PATHS.has(path)) {
      // cf-connecting-ip is set by Cloudflare's edge and cannot be forged by the client there.
      const ip = c.req.header("cf-connecting-ip") ?? "unknown";
      const limit = limitFrom(c.env.RATE_LIMIT_LOGIN_PER_MINUTE, DEFAULT_PER_IP_PER_MINUTE);
      await enforce(c, `ip:${path}:${ip}`, limit, true);
      return next();
    }
    // Unset on the public routes, which have no caller to count against.
    const caller = c.get("caller") as AppEnv["Variables"]["caller"] | undefined;
    if (caller) {
      const who = caller.apiKeyId ? `key:${caller.apiKeyId}` : `user:${caller.userId}`;
      await enforce(c, `api:${who}`, limitFrom(c.env.RATE_LIMIT_API_PER_MINUTE, DEFAULT_API_PER_MINUTE), false);
    }
    return next();
  });
}
