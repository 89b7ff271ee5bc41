import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AuthTokensSchema, MeSchema } from "../src/schemas/auth";
import { expectProblem } from "./support/problems";
import { call, callAs } from "./support/requests";
import { newTenant, uniqueIp } from "./support/tenants";

function post(path: string, json: unknown, ip = uniqueIp()): Promise<Response> {
  return call(path, { method: "POST", headers: { "cf-connecting-ip": ip }, json });
}

describe("register", () => {
  it("creates a user, a personal org they own, and signs them in", async () => {
    const email = `Ada-${crypto.randomUUID()}@Example.test`;
    const res = await post("/v1/auth/register", { email, password: "long enough", name: "Ada" });
    expect(res.status).toBe(201);
    const body = AuthTokensSchema.parse(await res.json());
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 900, refresh_expires_in: 2592000 });
    expect(body.user).toMatchObject({ email: email.toLowerCase(), name: "Ada" });
    expect(body.user.id).toMatch(/^user_[0-9a-f]{32}$/);
    expect(body.user.default_org_id).toMatch(/^org_[0-9a-f]{32}$/);
    expect(JSON.stringify(body)).not.toContain("password");

    const me = await call("/v1/auth/me", { headers: { authorization: `Bearer ${body.access_token}` } });
    expect(me.status).toBe(200);
    const mine = MeSchema.parse(await me.json());
    expect(mine.user).toEqual(body.user);
    expect(mine.role).toBe("owner");
    expect(mine.org).toMatchObject({ id: body.user.default_org_id, role: "owner", name: "Ada's organization" });
  });

  it("refuses an email that is taken, whatever its case (409 email_taken)", async () => {
    const t = await newTenant();
    const res = await post("/v1/auth/register", { email: t.email.toUpperCase(), password: "another password", name: "X" });
    await expectProblem(res, 409, "email_taken");
  });

  it("names every invalid field (short password, bad email, missing name)", async () => {
    const res = await post("/v1/auth/register", { email: "not-an-email", password: "short" });
    const body = await expectProblem(res, 400, "validation_failed");
    expect(body.errors?.map((e) => e.path).sort()).toEqual(["body.email", "body.name", "body.password"]);
    expect(JSON.stringify(body)).not.toContain("short");
  });
});

describe("login", () => {
  it("signs in with the right password, case-insensitive email", async () => {
    const t = await newTenant();
    const res = await post("/v1/auth/login", { email: t.email.toUpperCase(), password: t.password });
    expect(res.status).toBe(200);
    const body = AuthTokensSchema.parse(await res.json());
    expect(body.user.id).toBe(t.userId);
    expect((await callAs({ headers: { authorization: `Bearer ${body.access_token}` } }, "/v1/auth/me")).status).toBe(200);
  });

  it("answers a wrong password and an unknown email identically (401 unauthorized)", async () => {
    const t = await newTenant();
    const wrong = await post("/v1/auth/login", { email: t.email, password: "not the password" });
    const unknown = await post("/v1/auth/login", { email: `nobody-${crypto.randomUUID()}@example.test`, password: "whatever1" });
    const [a, b] = [await expectProblem(wrong, 401, "unauthorized"), await expectProblem(unknown, 401, "unauthorized")];
    expect({ ...a, request_id: "" }).toEqual({ ...b, request_id: "" });
  });
});

describe("refresh", () => {
  it("rotates: a refresh token works once and yields a new pair", async () => {
    const t = await newTenant();
    const res = await post("/v1/auth/refresh", { refresh_token: t.refreshToken });
    expect(res.status).toBe(200);
    const next = AuthTokensSchema.parse(await res.json());
    expect(next.refresh_token).not.toBe(t.refreshToken);
    expect(next.user.id).toBe(t.userId);
    expect((await callAs({ headers: { authorization: `Bearer ${next.access_token}` } }, "/v1/auth/me")).status).toBe(200);
    const again = await post("/v1/auth/refresh", { refresh_token: next.refresh_token });
    expect(again.status).toBe(200);
  });

  it("treats a reused token as theft: 401 refresh_token_reused and the whole family is revoked", async () => {
    const t = await newTenant();
    const rotated = AuthTokensSchema.parse(await (await post("/v1/auth/refresh", { refresh_token: t.refreshToken })).json());
    const reuse = await post("/v1/auth/refresh", { refresh_token: t.refreshToken });
    await expectProblem(reuse, 401, "refresh_token_reused");
    // The token the legitimate rotation produced is dead too.
    const descendant = await post("/v1/auth/refresh", { refresh_token: rotated.refresh_token });
    await expectProblem(descendant, 401, "unauthorized");
    // Another sign-in of the same user is a different family and keeps working.
    const login = AuthTokensSchema.parse(await (await post("/v1/auth/login", { email: t.email, password: t.password })).json());
    expect((await post("/v1/auth/refresh", { refresh_token: login.refresh_token })).status).toBe(200);
  });

  it("lets only one of two concurrent refreshes with the same token win", async () => {
    const t = await newTenant();
    const results = await Promise.all([1, 2].map(() => post("/v1/auth/refresh", { refresh_token: t.refreshToken })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401]);
    for (const r of results) await r.body?.cancel();
  });

  it("refuses unknown and expired refresh tokens (401 unauthorized) and a missing one (400)", async () => {
    const unknown = await post("/v1/auth/refresh", { refresh_token: `rt_${"0".repeat(64)}` });
    await expectProblem(unknown, 401, "unauthorized");

    const t = await newTenant();
    await env.DB.prepare("UPDATE refresh_tokens SET expires_at = ? WHERE user_id = ?").bind("2000-01-01T00:00:00.000Z", t.userId).run();
    const expired = await post("/v1/auth/refresh", { refresh_token: t.refreshToken });
    await expectProblem(expired, 401, "unauthorized");

    const missing = await post("/v1/auth/refresh", {});
    await expectProblem(missing, 400, "validation_failed", ["body.refresh_token"]);
  });
});

describe("logout", () => {
  it("revokes the given refresh token's sign-in (204); the token then fails", async () => {
    const t = await newTenant();
    const res = await callAs(t, "/v1/auth/logout", { method: "POST", json: { refresh_token: t.refreshToken } });
    expect(res.status).toBe(204);
    const after = await post("/v1/auth/refresh", { refresh_token: t.refreshToken });
    await expectProblem(after, 401, "unauthorized");
  });

  it("needs credentials and cannot revoke another user's token (still 204, token unharmed)", async () => {
    const [a, b] = [await newTenant(), await newTenant()];
    const anonymous = await call("/v1/auth/logout", { method: "POST", json: { refresh_token: b.refreshToken } });
    await expectProblem(anonymous, 401, "unauthorized");
    expect((await callAs(a, "/v1/auth/logout", { method: "POST", json: { refresh_token: b.refreshToken } })).status).toBe(204);
    expect((await post("/v1/auth/refresh", { refresh_token: b.refreshToken })).status).toBe(200);
  });
});

describe("me", () => {
  it("acts in the org named by X-Org-Id when the caller is a member, with the role there", async () => {
    const owner = await newTenant();
    const other = await newTenant();
    const add = await callAs(owner, `/v1/orgs/${owner.orgId}/members`, { method: "POST", json: { email: other.email, role: "admin" } });
    expect(add.status).toBe(201);
    const res = await callAs(other, "/v1/auth/me", { headers: { "x-org-id": owner.orgId } });
    expect(res.status).toBe(200);
    const me = MeSchema.parse(await res.json());
    expect(me).toMatchObject({ role: "admin", org: { id: owner.orgId, role: "admin" }, user: { id: other.userId } });
    const own = MeSchema.parse(await (await callAs(other, "/v1/auth/me")).json());
    expect(own.org?.id).toBe(other.orgId);
  });
});
