import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import type { z } from "@hono/zod-openapi";
import { expect, vi } from "vitest";
import { createApp } from "../src/app";
import type { Env } from "../src/env";
import { ERROR_CATALOGUE, type ErrorCode } from "../src/lib/errors";
import { ErrorSchema } from "../src/schemas/common";

/** Sends a request to the Worker under test, as a client would. */
export function call(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return exports.default.fetch(new Request(`http://api.test${path}`, { ...init, headers, body }));
}

/** The problem+json body every error has (spec §3). */
export type Problem = z.infer<typeof ErrorSchema>;

/** Checks the envelope every error shares against its already-read body text; returns the parsed body. */
function checkEnvelope(res: Response, text: string): Problem {
  expect(res.headers.get("content-type"), text).toBe("application/problem+json");
  // Strict: a field outside the contract (a stack, a library message) fails the test.
  const body = ErrorSchema.strict().parse(JSON.parse(text));
  expect(body.status, "status mirrors the status line").toBe(res.status);
  expect(ERROR_CATALOGUE[body.code].status, `the catalogue's status for ${body.code}`).toBe(res.status);
  expect(body.type).toBe("about:blank");
  expect(body.title).toBe(ERROR_CATALOGUE[body.code].title);
  expect(body.detail.length).toBeGreaterThan(0);
  expect(body.error).toBe(body.detail);
  expect(res.headers.get("x-request-id")).toBeTruthy();
  expect(body.request_id).toBe(res.headers.get("x-request-id"));
  const retryAfter = res.headers.get("retry-after");
  expect(retryAfter, "Retry-After and retry_after_seconds come together").toBe(
    body.retry_after_seconds === undefined ? null : String(body.retry_after_seconds),
  );
  return body;
}

/** The problem+json body of an error response of any status, after checking its envelope. */
export async function problem(res: Response): Promise<Problem> {
  return checkEnvelope(res, await res.text());
}

/**
 * Asserts an error response: its status, its code, and the envelope every error shares
 * (problem+json, a body the error schema accepts with nothing more, status and title from the
 * catalogue, `error` = `detail`, `request_id` = X-Request-ID); with `paths`, also exactly which
 * fields `errors[]` names. Returns the parsed body.
 */
export async function expectProblem(res: Response, status: number, code: ErrorCode, paths?: string[]): Promise<Problem> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = checkEnvelope(res, text);
  expect(body.code, text).toBe(code);
  if (paths) expect(body.errors?.map((e) => e.path), text).toEqual(paths);
  return body;
}

/** Everything the Worker writes to the console while `run` executes (it logs in this isolate), one entry per call. */
export async function captureConsole(run: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" "))),
  );
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines;
}

/** The JSON log lines among captured console output (anything else is skipped). */
export function jsonLines(lines: string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of lines) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed !== null && typeof parsed === "object") out.push(parsed as Record<string, unknown>);
    } catch {
      // Not one of ours: the app logs only JSON lines.
    }
  }
  return out;
}

/** A freshly registered user with their personal org, and the headers that authenticate as them. */
export interface Tenant {
  /** The access token (15 minutes: plenty for one test). */
  token: string;
  refreshToken: string;
  /** Only when newTenant({ apiKey: true }). */
  apiKey?: string;
  userId: string;
  orgId: string;
  email: string;
  password: string;
  /** `Authorization: Bearer <token>`, ready to spread into a request. */
  headers: Record<string, string>;
}

/**
 * A client IP of its own (IPv6 documentation range), so per-IP limits on login and register
 * never make one test depend on another.
 */
export function uniqueIp(): string {
  const hex = crypto.randomUUID().replaceAll("-", "");
  return `2001:db8:${hex.slice(0, 4)}:${hex.slice(4, 8)}:${hex.slice(8, 12)}:${hex.slice(12, 16)}:${hex.slice(16, 20)}:${hex.slice(20, 24)}`;
}

/** Registers a new unique user through the real route (optionally with an API key) and returns how to call as them. */
export async function newTenant(options: { apiKey?: boolean; name?: string } = {}): Promise<Tenant> {
  const email = `user-${crypto.randomUUID()}@example.test`;
  const password = `pw-${crypto.randomUUID()}`;
  const res = await call("/v1/auth/register", {
    method: "POST",
    headers: { "cf-connecting-ip": uniqueIp() },
    json: { email, password, name: options.name ?? "Test User" },
  });
  if (res.status !== 201) throw new Error(`register failed with ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { access_token: string; refresh_token: string; user: { id: string; default_org_id: string } };
  const headers = { authorization: `Bearer ${body.access_token}` };
  const tenant: Tenant = {
    token: body.access_token,
    refreshToken: body.refresh_token,
    userId: body.user.id,
    orgId: body.user.default_org_id,
    email,
    password,
    headers,
  };
  if (options.apiKey) {
    const keyRes = await call("/v1/auth/api-keys", { method: "POST", headers, json: { name: "test key" } });
    if (keyRes.status !== 201) throw new Error(`API key creation failed with ${keyRes.status}: ${await keyRes.text()}`);
    tenant.apiKey = ((await keyRes.json()) as { key: string }).key;
  }
  return tenant;
}

/** A request as the tenant (its Bearer headers, overridable per call). */
export function authed(tenant: Pick<Tenant, "headers">, path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  return call(path, { ...init, headers: { ...tenant.headers, ...(init.headers as Record<string, string> | undefined) } });
}

/**
 * A request to a fresh app with some bindings overridden (AUTH_MODE, a missing JWT_SECRET, small
 * rate limits, an unreachable rate limiter), against the same D1 and Durable Objects. Waits for
 * its background work (waitUntil).
 */
export async function callWith(
  overrides: Partial<Env>,
  path: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  const ctx = createExecutionContext();
  const res = await createApp().fetch(new Request(`http://api.test${path}`, { ...init, headers, body }), { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

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
