import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { jwtSecret, verifyAccessToken } from "../lib/access-token";
import { API_KEY_SHAPE } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { isId } from "../lib/ids";
import { describeError, logLine } from "../lib/log";
import { apiKeyPrincipal, localPrincipal, userPrincipal } from "../services/principals";
import { authMode } from "./auth-mode";

/** The /v1 routes that need no credentials (spec §4). */
export const PUBLIC_PATHS = new Set(["/v1/auth/register", "/v1/auth/login", "/v1/auth/refresh"]);

/** The path without trailing slashes: the app is not strict about them, so neither is this check. */
export function normalizedPath(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

type Credential = { kind: "jwt"; token: string } | { kind: "api_key"; key: string };

/**
 * Reads `Authorization`: `Bearer <jwt>`, `Bearer evr_…`, bare `evr_…` (the official SDK) or
 * `ApiKey evr_…`. Anything else is a 401 that does not say which part was wrong.
 */
function credentialFrom(header: string | undefined): Credential {
  const value = header?.trim() ?? "";
  if (value === "") throw new ApiError("unauthorized", { detail: "Missing credentials" });
  const scheme = /^(Bearer|ApiKey)\s+(\S+)$/i.exec(value);
  const token = scheme ? (scheme[2] ?? "") : value;
  if (token.startsWith("evr_")) {
    if (!API_KEY_SHAPE.test(token)) throw new ApiError("unauthorized");
    return { kind: "api_key", key: token };
  }
  if (scheme && scheme[1]?.toLowerCase() === "bearer") return { kind: "jwt", token };
  throw new ApiError("unauthorized");
}

/** X-Org-Id when sent; a value that is not an org id is a 400 naming the header. */
function requestedOrg(c: Context<AppEnv>): string | null {
  const value = c.req.header("x-org-id")?.trim();
  if (!value) return null;
  if (!isId("org", value)) {
    throw new ApiError("invalid_id", { errors: [{ path: "header.x-org-id", message: "Must be an org_ id" }] });
  }
  return value;
}

/** Runs work after the response without holding it up; where there is no execution context, just lets it run. */
function inBackground(c: Context<AppEnv>, work: Promise<unknown>): void {
  const guarded = work.catch((err: unknown) => logLine("warn", { msg: "background auth write failed", request_id: c.get("requestId"), error: describeError(err) }));
  try {
    c.executionCtx.waitUntil(guarded);
  } catch {
    // Hono throws when the runtime gave no execution context (app.request in a unit test).
  }
}

/**
 * Authenticates every /v1 request except the public ones and sets `c.var.principal`.
 * With AUTH_MODE=none every request is the owner of the local org.
 */
export function authenticate() {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (PUBLIC_PATHS.has(normalizedPath(c.req.path))) return next();
    const db = c.var.db;
    if (authMode(c.env) === "none") {
      c.set("principal", await localPrincipal(db));
      return next();
    }
    const credential = credentialFrom(c.req.header("authorization"));
    const orgId = requestedOrg(c);
    if (credential.kind === "jwt") {
      const userId = await verifyAccessToken(jwtSecret(c.env), credential.token);
      c.set("principal", await userPrincipal(db, userId, orgId));
    } else {
      const { principal, touch } = await apiKeyPrincipal(db, credential.key, orgId);
      if (touch) inBackground(c, touch());
      c.set("principal", principal);
    }
    return next();
  });
}
