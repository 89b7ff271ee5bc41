import { describe, expect, it } from "vitest";
import { AuthTokensSchema, MeSchema } from "../src/schemas/auth";
import { authed, call, newTenant, problem, uniqueIp } from "./helpers";

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
    expect(res.status).toBe(409);
    expect((await problem(res)).code).toBe("email_taken");
  });

  it("names every invalid field (short password, bad email, missing name)", async () => {
    const res = await post("/v1/auth/register", { email: "not-an-email", password: "short" });
    expect(res.status).toBe(400);
    const body = await problem(res);
    expect(body.code).toBe("validation_failed");
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
    expect((await authed({ headers: { authorization: `Bearer ${body.access_token}` } }, "/v1/auth/me")).status).toBe(200);
  });

  it("answers a wrong password and an unknown email identically (401 unauthorized)", async () => {
    const t = await newTenant();
    const wrong = await post("/v1/auth/login", { email: t.email, password: "not the password" });
    const unknown = await post("/v1/auth/login", { email: `nobody-${crypto.randomUUID()}@example.test`, password: "whatever1" });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const [a, b] = [await problem(wrong), await problem(unknown)];
    expect(a.code).toBe("unauthorized");
    expect({ ...a, request_id: "" }).toEqual({ ...b, request_id: "" });
  });
});
