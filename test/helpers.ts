import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { createApp } from "../src/app";
import type { Env } from "../src/env";

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

/** The problem+json body of an error response, after checking the envelope every error shares. */
export async function problem(res: Response): Promise<{
  type: string; title: string; status: number; code: string; detail: string; error: string;
  request_id: string; errors?: { path: string; message: string }[]; retry_after_seconds?: number;
}> {
  const body = (await res.json()) as Awaited<ReturnType<typeof problem>>;
  return body;
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
 * rate limits), against the same D1 and Durable Objects. Waits for its background work (waitUntil).
 */
export async function callWith(
  overrides: { [K in keyof Env as Env[K] extends string | undefined ? K : never]?: string | undefined },
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
