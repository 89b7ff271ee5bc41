import { env } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { ErrorCode } from "../src/lib/errors";
import { newId } from "../src/lib/ids";
import { MAX_BODY_BYTES } from "../src/middleware/json-body";
import { declaredRoutes } from "../src/middleware/traits";
import { documentedOperations } from "./support/openapi";
import { expectProblem } from "./support/problems";
import { call, callAs } from "./support/requests";
import { newTenant, uniqueIp } from "./support/tenants";

/** A well-formed value for each path parameter, so only the credentials can be wrong. */
const PATH_VALUES: Record<string, () => string> = {
  agent_id: () => newId("agent"),
  session_id: () => newId("session"),
  org_id: () => newId("org"),
  user_id: () => newId("user"),
  key_id: () => newId("key"),
  provider_id: () => newId("provider"),
  model_id: () => newId("model"),
  mcp_server_id: () => newId("mcpsrv"),
  capability_id: () => "current_time",
  harness_id: () => newId("harness"),
  webhook_id: () => newId("webhook"),
};

/** The routes that declare themselves public (no credentials), as `METHOD /path`. */
const PUBLIC_ROUTES = declaredRoutes(createApp()).filter((r) => r.traits.access === "public");

/** Every operation of the served document as [METHOD, path template, secured]. */
async function operations(): Promise<[string, string, boolean][]> {
  return (await documentedOperations()).map((op) => [op.method, op.path, op.secured]);
}

/** The path template with every `{param}` filled; an unknown parameter fails the test so a new route gets a value here. */
function fill(template: string): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = PATH_VALUES[name];
    expect(value, `a value for path parameter ${name}`).toBeDefined();
    return value ? value() : name;
  });
}

describe("auth matrix: every secured operation of the OpenAPI document", () => {
  it("agrees with the middleware on which routes are public", async () => {
    const ops = await operations();
    const publicOps = ops.filter(([, , secured]) => !secured).map(([method, path]) => `${method} ${path}`);
    expect(publicOps.sort()).toEqual(PUBLIC_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    expect(publicOps.sort()).toEqual(["GET /health", "POST /v1/auth/login", "POST /v1/auth/refresh", "POST /v1/auth/register"]);
    expect(ops.filter(([, , secured]) => secured).length).toBeGreaterThan(40);
  });

  it("answers 401 for no token, a malformed token, an expired access token and a revoked API key", async () => {
    const t = await newTenant({ apiKey: true });
    const revokedKey = t.apiKey ?? "";
    const keys = (await (await callAs(t, "/v1/auth/api-keys")).json()) as { data: { id: string }[] };
    expect((await callAs(t, `/v1/auth/api-keys/${keys.data[0]?.id}`, { method: "DELETE" })).status).toBe(204);
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = await sign({ sub: t.userId, token_use: "access", iat: past, exp: past + 900 }, env.JWT_SECRET ?? "", "HS256");

    // A validly signed token past its exp is the catalogue's 401 token_expired (so a client knows to refresh).
    const credentials: [string, Record<string, string>, ErrorCode][] = [
      ["no token", {}, "unauthorized"],
      ["malformed token", { authorization: "Bearer not.a-jwt" }, "unauthorized"],
      ["expired access token", { authorization: `Bearer ${expired}` }, "token_expired"],
      ["revoked API key", { authorization: revokedKey }, "unauthorized"],
    ];
    const secured = (await operations()).filter(([, , isSecured]) => isSecured);
    expect(secured.length).toBeGreaterThan(40);
    for (const [method, template] of secured) {
      const path = fill(template);
      for (const [what, headers, code] of credentials) {
        const withBody = method === "POST" || method === "PATCH";
        const res = await call(path, { method, headers, ...(withBody ? { json: {} } : {}) });
        const body = await expectProblem(res, 401, code).catch((err: unknown) => {
          throw new Error(`${method} ${template} with ${what}: ${String(err)}`);
        });
        expect(body.errors).toBeUndefined();
      }
    }
  });

  it("answers 401 before reading the body: malformed JSON, a non-JSON type or an oversized body tell an unauthenticated caller nothing more", async () => {
    const secured = (await operations()).filter(([, , isSecured]) => isSecured);
    const bodies: [string, RequestInit][] = [
      ["malformed JSON", { headers: { "content-type": "application/json" }, body: "{" }],
      ["a text/plain body", { headers: { "content-type": "text/plain" }, body: "hello" }],
      ["an oversized body", { headers: { "content-type": "application/json" }, body: `"${"a".repeat(MAX_BODY_BYTES + 10)}"` }],
    ];
    for (const [method, template] of secured) {
      const path = fill(template);
      // Every method, not only those with a documented body: the middleware reads any body it is sent.
      for (const sent of method === "GET" || method === "DELETE" ? ["POST", "PATCH"] : [method]) {
        for (const [what, init] of bodies) {
          const res = await call(path, { method: sent, ...init });
          await expectProblem(res, 401, "unauthorized").catch((err: unknown) => {
            throw new Error(`${sent} ${template} with ${what}: ${String(err)}`);
          });
        }
      }
    }
  });

  it("still checks the bodies of the public routes: 400 invalid_json, 415 and 413", async () => {
    for (const path of PUBLIC_ROUTES.filter((r) => r.path.startsWith("/v1/")).map((r) => r.path)) {
      const headers = { "cf-connecting-ip": uniqueIp() };
      const json = { ...headers, "content-type": "application/json" };
      await expectProblem(await call(path, { method: "POST", headers: json, body: "{" }), 400, "invalid_json");
      await expectProblem(
        await call(path, { method: "POST", headers: { ...headers, "content-type": "text/plain" }, body: "x" }),
        415,
        "unsupported_media_type",
      );
      const big = `"${"a".repeat(MAX_BODY_BYTES + 10)}"`;
      await expectProblem(await call(path, { method: "POST", headers: json, body: big }), 413, "payload_too_large");
    }
  });
});
