import { env } from "cloudflare:workers";
import { createDb } from "../../src/db/client";
import { memberships } from "../../src/db/schema";
import { nowIso } from "../../src/lib/time";
import { type Caller, call } from "./requests";

/** A freshly registered user with their personal org, and the headers that authenticate as them. */
export interface Tenant extends Caller {
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

/**
 * A second user who is a plain member of `owner`'s org, acting in that org via X-Org-Id.
 * The membership row is written directly so these tests do not depend on the members route.
 */
export async function memberOf(owner: { orgId: string }): Promise<Caller> {
  const other = await newTenant();
  await createDb(env.DB).insert(memberships).values({ orgId: owner.orgId, userId: other.userId, role: "member", createdAt: nowIso() });
  return { headers: { ...other.headers, "x-org-id": owner.orgId } };
}
