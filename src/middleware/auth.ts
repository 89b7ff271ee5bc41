import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { createDb } from "../db/client";
import type { AppEnv } from "../env";
import { jwtSecret, verifyAccessToken } from "../lib/access-token";
import { API_KEY_SHAPE } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { idFormatMessage, isId } from "../lib/ids";
import { describeError, logLine } from "../lib/log";
import type { RouteEntry } from "../lib/method-not-allowed";
import { apiKeyPrincipal, LOCAL_ORG_ID, LOCAL_USER_ID, localPrincipal, userPrincipal } from "../services/principals";
import { countFailure, refuseBlockedAddress } from "./auth-failures";
import { authMode } from "./auth-mode";
import { type Access, type RouteTraits, routeTraits } from "./traits";

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

/** The subprotocols a WebSocket upgrade offered. */
function offeredProtocols(c: Context<AppEnv>): string[] {
  return (c.req.header("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
}

/** Whether the request is a WebSocket upgrade to a route that takes its credential the browser's way. */
function socketCredentials(c: Context<AppEnv>, traits: RouteTraits | null): boolean {
  return traits?.socketCredentials === true && c.req.header("upgrade")?.toLowerCase() === "websocket";
}

/**
 * The credential as an Authorization value. A browser cannot set headers on a WebSocket, so an
 * upgrade to a route that declares `socketCredentials` (`GET …/ws`) may instead carry it as the
 * subprotocol `bearer.<token>` (offered beside `everruns.v1`) or as `?access_token=`; the header
 * wins when present. Everywhere else only the header counts.
 */
function authorizationOf(c: Context<AppEnv>, fromSocket: boolean): string | undefined {
  const header = c.req.header("authorization");
  if (header?.trim() || !fromSocket) return header;
  const offered = offeredProtocols(c).find((p) => p.startsWith("bearer."));
  const token = offered?.slice("bearer.".length) ?? c.req.query("access_token");
  return token ? `Bearer ${token}` : header;
}

/**
 * X-Org-Id when sent; on a socket route, also the subprotocol `org.<org id>` or `?org_id=` (the
 * header wins). A value that is not an org id is a 400 naming where it came from.
 */
function requestedOrg(c: Context<AppEnv>, fromSocket: boolean): string | null {
  let value = c.req.header("x-org-id")?.trim();
  let path = "header.x-org-id";
  if (!value && fromSocket) {
    const offered = offeredProtocols(c).find((p) => p.startsWith("org."));
    value = offered?.slice("org.".length) ?? c.req.query("org_id");
    path = offered ? "header.sec-websocket-protocol" : "query.org_id";
  }
  if (!value) return null;
  if (!isId("org", value)) {
    throw new ApiError("invalid_id", { errors: [{ path, message: idFormatMessage("org") }] });
  }
  return value;
}

/** Runs work after the response without holding it up; where there is no execution context, just lets it run. */
function inBackground(c: Context<AppEnv>, work: Promise<unknown>): void {
  const guarded = work.catch((err: unknown) =>
    logLine("warn", { msg: "background auth write failed", request_id: c.get("requestId"), error: describeError(err) }),
  );
  try {
    c.executionCtx.waitUntil(guarded);
  } catch {
    // Hono throws when the runtime gave no execution context (app.request in a unit test).
  }
}

/** Set once this isolate has said that auth is off: one line per isolate, not one per request. */
let warnedAuthOff = false;

function warnAuthOff(c: Context<AppEnv>): void {
  if (warnedAuthOff) return;
  warnedAuthOff = true;
  logLine("warn", {
    msg:
      "AUTH_MODE=none: authentication is off and every request acts as the owner of the dev org; " +
      "local experiments only, never deploy this",
    org_id: LOCAL_ORG_ID,
    user_id: LOCAL_USER_ID,
    request_id: c.get("requestId"),
  });
}

/**
 * Authenticates every /v1 request except those to a public route, and sets `c.var.caller` and
 * (when the request acts in an org, which is always except on a `signed-in` route for a user
 * with no membership) `c.var.principal`. Each route declares its access (middleware/traits.ts);
 * a request that reaches no route needs credentials and an org. With AUTH_MODE=none every
 * request is the owner of the local (dev seed) org.
 */
export function authenticate(app: { routes: RouteEntry[] }) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const traits = routeTraits(c, app);
    const access = traits?.access ?? "org";
    if (access === "public") return next();
    const db = c.var.db;
    if (authMode(c.env) === "none") {
      warnAuthOff(c);
      c.set("caller", { userId: LOCAL_USER_ID, apiKeyId: null, expiresAt: null });
      c.set("principal", await localPrincipal(db));
      return next();
    }
    const fromSocket = socketCredentials(c, traits);
    const presented = authorizationOf(c, fromSocket);
    // An address over its limit of failed credentials is refused before any lookup.
    if (presented?.trim()) refuseBlockedAddress(c);
    try {
      await resolveCredential(c, presented, fromSocket, access);
    } catch (err) {
      // Only a presented credential that fails counts: not a missing one, nor an access token
      // past its `exp` (a client that must refresh, not a guess).
      if (presented?.trim() && err instanceof ApiError && err.code === "unauthorized") await countFailure(c, err);
      throw err;
    }
    return next();
  });
}

/** Reads and checks the request's credential and sets `caller` (and `principal`, when it acts in an org). */
async function resolveCredential(
  c: Context<AppEnv>,
  authorization: string | undefined,
  fromSocket: boolean,
  access: Access,
): Promise<void> {
  const db = c.var.db;
  const credential = credentialFrom(authorization);
  const orgId = requestedOrg(c, fromSocket);
  if (credential.kind === "jwt") {
    const { userId, expiresAt } = await verifyAccessToken(jwtSecret(c.env), credential.token);
    const principal = await userPrincipal(db, userId, orgId);
    c.set("caller", { userId, apiKeyId: null, expiresAt });
    if (principal) c.set("principal", principal);
    else if (access !== "signed-in") {
      throw new ApiError("org_not_found", { detail: "You are not a member of any organization; create one with POST /v1/orgs" });
    }
  } else {
    const { principal, expiresAt, touch } = await apiKeyPrincipal(db, credential.key, orgId);
    // Off the request's D1 session: a write there would send the route's reads to the primary.
    if (touch) inBackground(c, touch(createDb(c.env.DB)));
    c.set("caller", { userId: principal.userId, apiKeyId: principal.apiKeyId, expiresAt });
    c.set("principal", principal);
  }
}
