import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { IdempotencyRequest, SignedInEnv } from "../env";
import { sha256Hex } from "../lib/crypto";
import { currentKeyId } from "../lib/encryption";
import { ApiError } from "../lib/errors";
import { describeError, logLine } from "../lib/log";
import { claimKey, completeKey, pruneKeys, releaseKey } from "../services/idempotency";

/** Printable ASCII without spaces, as the IETF draft's examples use (a UUID fits). */
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` (IETF draft) for the caller's creating POSTs: the same key with the same
 * request within 24 hours answers with the first success again (`Idempotent-Replayed: true`,
 * nothing created twice); with another request it is 422 `idempotency_key_reused`; while the
 * first still runs, 409 `idempotency_key_in_progress`. Keys are scoped to the caller (the API
 * key, or the user when signed in with a token) and the org; only successes are remembered.
 * Declared by the route (`idempotent` in middleware/traits.ts), so it runs after authentication
 * and the JSON check. Messages are remembered by their session object (`byObject`), the rest in
 * D1. A key is the caller's in the org the request acts in, except on routes that create
 * something of the user's own (`userLevel`: an org, made by a user who may have none yet).
 */
export function idempotency(options: { byObject?: boolean | undefined; userLevel?: boolean | undefined } = {}) {
  return createMiddleware<SignedInEnv>(async (c, next) => {
    const key = c.req.header("idempotency-key");
    if (key === undefined || c.req.method !== "POST") return next();
    if (!KEY_SHAPE.test(key)) {
      throw new ApiError("validation_failed", {
        errors: [{ path: "header.idempotency-key", message: "Must be 1–255 printable ASCII characters without spaces" }],
      });
    }
    const request: IdempotencyRequest = {
      key,
      caller: `${c.var.caller.apiKeyId ?? c.var.caller.userId}:${options.userLevel ? "-" : (c.var.principal?.orgId ?? "-")}`,
      requestHash: await sha256Hex(`${c.req.method} ${new URL(c.req.url).pathname}\n${await c.req.text()}`),
    };
    if (options.byObject) {
      c.set("idempotency", request);
      return next();
    }
    // The answer is sealed to be stored: with no usable key, fail before anything is created.
    await currentKeyId(c.env);
    const db = c.var.db;
    const claim = await claimKey(db, c.env, request.caller, key, request.requestHash);
    if (claim.kind === "replay") {
      const { status, body, contentType } = claim.response;
      return new Response(body, { status, headers: { "content-type": contentType ?? "application/json", "idempotent-replayed": "true" } });
    }
    let succeeded = false;
    try {
      await next();
      succeeded = c.res.status >= 200 && c.res.status < 300;
    } finally {
      await settle(c, request, claim.lease, succeeded);
    }
  });
}

/** Completes the claim with the response, or releases it so a retry can run. */
async function settle(c: Context<SignedInEnv>, request: IdempotencyRequest, lease: number, succeeded: boolean): Promise<void> {
  const db = c.var.db;
  try {
    if (succeeded) {
      const body = await c.res.clone().text();
      await completeKey(db, c.env, request.caller, request.key, lease, {
        status: c.res.status,
        body,
        contentType: c.res.headers.get("content-type"),
      });
    } else {
      await releaseKey(db, request.caller, request.key, lease);
    }
  } catch (err) {
    // The request's own answer stands. If not even "done" could be written, a retry finds the
    // claim in flight until its lease passes (then it runs again: D1 refused every write).
    logLine("error", { msg: "idempotency key not settled", request_id: c.get("requestId"), error: describeError(err) });
  }
  try {
    c.executionCtx.waitUntil(pruneKeys(db).catch(() => undefined));
  } catch {
    // No execution context (a unit test's app.request): nothing to prune in the background.
  }
}
