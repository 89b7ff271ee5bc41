import { env } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { MeSchema } from "../src/schemas/auth";
import { LOCAL_ORG_ID, LOCAL_USER_ID } from "../src/services/principals";
import { captureConsole, jsonLines } from "./support/console";
import { expectProblem } from "./support/problems";
import { call, callAs, callWith } from "./support/requests";
import { newTenant, uniqueIp } from "./support/tenants";

const SECRET = env.JWT_SECRET ?? "";

function withAuth(authorization: string, extra: Record<string, string> = {}): Promise<Response> {
  return call("/v1/auth/me", { headers: { authorization, ...extra } });
}

describe("credentials", () => {
  it("401 unauthorized without credentials, on any /v1 route", async () => {
    for (const path of ["/v1/auth/me", "/v1/agents", "/v1/orgs", "/v1/auth/api-keys"]) {
      await expectProblem(await call(path), 401, "unauthorized");
    }
  });

  it("401 unauthorized for malformed credentials of every kind", async () => {
    const t = await newTenant();
    const malformed = [
      "Bearer",
      "Bearer ",
      "Basic dXNlcjpwYXNz",
      "Bearer not-a-jwt",
      "Bearer a.b.c",
      `Bearer ${t.token}x`,
      `Token ${t.token}`,
      t.token,
      "evr_short",
      `evr_${"A".repeat(64)}`,
      `ApiKey ${t.token}`,
      `Bearer evr_${"0".repeat(64)}`,
    ];
    for (const header of malformed) await expectProblem(await withAuth(header), 401, "unauthorized");
  });

  it("401 unauthorized for a token signed with another secret, without exp, or not an access token", async () => {
    const t = await newTenant();
    const now = Math.floor(Date.now() / 1000);
    const tokens = [
      await sign({ sub: t.userId, token_use: "access", iat: now, exp: now + 900 }, "some-other-secret-entirely-0123456789", "HS256"),
      await sign({ sub: t.userId, token_use: "access", iat: now }, SECRET, "HS256"),
      await sign({ sub: t.userId, token_use: "refresh", iat: now, exp: now + 900 }, SECRET, "HS256"),
      await sign({ sub: t.userId, token_use: "access", iat: now, exp: now + 900 }, SECRET, "HS512"),
      `${btoa(JSON.stringify({ alg: "none", typ: "JWT" }))}.${btoa(JSON.stringify({ sub: t.userId, token_use: "access", exp: now + 900 }))}.`,
    ];
    for (const token of tokens) await expectProblem(await withAuth(`Bearer ${token}`), 401, "unauthorized");
  });

  it("401 token_expired for an expired access token, but unauthorized when its signature is forged", async () => {
    const t = await newTenant();
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = await sign({ sub: t.userId, token_use: "access", iat: past, exp: past + 900 }, SECRET, "HS256");
    await expectProblem(await withAuth(`Bearer ${expired}`), 401, "token_expired");
    const forged = await sign({ sub: t.userId, token_use: "access", iat: past, exp: past + 900 }, "not-the-secret-0123456789", "HS256");
    await expectProblem(await withAuth(`Bearer ${forged}`), 401, "unauthorized");
  });

  it("401 unauthorized for a valid token whose user no longer exists", async () => {
    const now = Math.floor(Date.now() / 1000);
    const ghost = await sign(
      { sub: "user_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f", token_use: "access", iat: now, exp: now + 900 },
      SECRET,
      "HS256",
    );
    await expectProblem(await withAuth(`Bearer ${ghost}`), 401, "unauthorized");
  });

  it("accepts an API key as Bearer, bare (the SDK's way) and ApiKey, in the key's org", async () => {
    const t = await newTenant({ apiKey: true });
    const key = t.apiKey ?? "";
    for (const header of [`Bearer ${key}`, key, `ApiKey ${key}`, `apikey ${key}`, `bearer ${key}`]) {
      const res = await withAuth(header);
      expect(res.status).toBe(200);
      const me = MeSchema.parse(await res.json());
      expect(me).toMatchObject({ user: { id: t.userId }, org: { id: t.orgId }, role: "owner" });
    }
  });

  it("401 unauthorized for a revoked key and for an expired key", async () => {
    const t = await newTenant({ apiKey: true });
    const key = t.apiKey ?? "";
    const list = (await (await callAs(t, "/v1/auth/api-keys")).json()) as { data: { id: string }[] };
    const id = list.data[0]?.id ?? "";
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").bind("2000-01-01T00:00:00.000Z", id).run();
    await expectProblem(await withAuth(key), 401, "unauthorized");

    const u = await newTenant({ apiKey: true });
    const uList = (await (await callAs(u, "/v1/auth/api-keys")).json()) as { data: { id: string }[] };
    expect((await callAs(u, `/v1/auth/api-keys/${uList.data[0]?.id}`, { method: "DELETE" })).status).toBe(204);
    await expectProblem(await withAuth(u.apiKey ?? ""), 401, "unauthorized");
  });
});

describe("X-Org-Id", () => {
  it("404 org_not_found for an org the caller is not in, identical to one that does not exist", async () => {
    const [a, b] = [await newTenant(), await newTenant()];
    const x = await expectProblem(await callAs(a, "/v1/auth/me", { headers: { "x-org-id": b.orgId } }), 404, "org_not_found");
    const y = await expectProblem(
      await callAs(a, "/v1/auth/me", { headers: { "x-org-id": "org_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" } }),
      404,
      "org_not_found",
    );
    expect({ ...x, request_id: "" }).toEqual({ ...y, request_id: "" });
  });

  it("400 invalid_id naming the header when it is not an org id", async () => {
    const t = await newTenant();
    const res = await callAs(t, "/v1/auth/me", { headers: { "x-org-id": "user_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" } });
    const body = await expectProblem(res, 400, "invalid_id");
    expect(body.errors?.map((e) => e.path)).toEqual(["header.x-org-id"]);
  });

  it("binds an API key to its org: another org is a 404 even when the user belongs to it", async () => {
    const owner = await newTenant();
    const t = await newTenant({ apiKey: true });
    expect((await callAs(owner, `/v1/orgs/${owner.orgId}/members`, { method: "POST", json: { email: t.email } })).status).toBe(201);
    expect((await callAs(t, "/v1/auth/me", { headers: { "x-org-id": owner.orgId } })).status).toBe(200);
    await expectProblem(await withAuth(t.apiKey ?? "", { "x-org-id": owner.orgId }), 404, "org_not_found");
    expect((await withAuth(t.apiKey ?? "", { "x-org-id": t.orgId })).status).toBe(200);
  });
});

describe("API key use", () => {
  it("records last_used_at after the response, at most about once a minute", async () => {
    const t = await newTenant({ apiKey: true });
    const key = t.apiKey ?? "";
    expect((await callWith({}, "/v1/auth/me", { headers: { authorization: key } })).status).toBe(200);
    const first = (await (await callAs(t, "/v1/auth/api-keys")).json()) as { data: { last_used_at: string | null }[] };
    const stamp = first.data[0]?.last_used_at ?? null;
    expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await callWith({}, "/v1/auth/me", { headers: { authorization: key } })).status).toBe(200);
    const second = (await (await callAs(t, "/v1/auth/api-keys")).json()) as { data: { last_used_at: string | null }[] };
    expect(second.data[0]?.last_used_at).toBe(stamp);
  });
});

describe("AUTH_MODE=none", () => {
  it("makes every request, without credentials, the owner of the local org", async () => {
    for (let i = 0; i < 2; i += 1) {
      const res = await callWith({ AUTH_MODE: "none" }, "/v1/auth/me");
      expect(res.status).toBe(200);
      const me = MeSchema.parse(await res.json());
      expect(me).toMatchObject({ role: "owner", user: { id: LOCAL_USER_ID }, org: { id: LOCAL_ORG_ID } });
    }
    expect((await callWith({ AUTH_MODE: "none" }, "/v1/agents")).status).toBe(200);
  });

  it("acts in the org and as the user that the dev seed (scripts/dev.mjs) creates, so the dev key sees the same data", async () => {
    expect(LOCAL_ORG_ID).toBe("org_000000000000000000000000000000d1");
    expect(LOCAL_USER_ID).toBe("user_000000000000000000000000000000d1");
    const me = MeSchema.parse(await (await callWith({ AUTH_MODE: "none" }, "/v1/auth/me")).json());
    expect(me).toMatchObject({ user: { email: "dev@example.com", name: "Dev user" }, org: { name: "Dev organization" } });
  });

  it("is off for anything but the exact value none", async () => {
    await expectProblem(await callWith({ AUTH_MODE: "None" }, "/v1/auth/me"), 401, "unauthorized");
  });
});

describe("a missing JWT_SECRET", () => {
  it("fails closed: 500 with the cause logged, never a token accepted or issued", async () => {
    const t = await newTenant();
    const logged = await captureConsole(async () => {
      const me = await callWith({ JWT_SECRET: undefined }, "/v1/auth/me", { headers: t.headers });
      await expectProblem(me, 500, "internal_error");
      const login = await callWith({ JWT_SECRET: "" }, "/v1/auth/login", {
        method: "POST",
        headers: { "cf-connecting-ip": uniqueIp() },
        json: { email: t.email, password: t.password },
      });
      await expectProblem(login, 500, "internal_error");
    });
    expect(logged.join("\n")).toContain("JWT_SECRET is not configured");
    expect(logged.join("\n")).not.toContain(t.token);
  });

  it("refuses a secret under 32 bytes the same way, logging why but never the secret", async () => {
    const t = await newTenant();
    // 31 bytes: one short. Multi-byte characters count as their UTF-8 bytes, not as one each.
    for (const short of ["short-secret-zq8-31-bytes-long!", "é".repeat(15)]) {
      expect(new TextEncoder().encode(short).length).toBeLessThan(32);
      const lines = jsonLines(
        await captureConsole(async () => {
          await expectProblem(await callWith({ JWT_SECRET: short }, "/v1/auth/me", { headers: t.headers }), 500, "internal_error");
          const login = await callWith({ JWT_SECRET: short }, "/v1/auth/login", {
            method: "POST",
            headers: { "cf-connecting-ip": uniqueIp() },
            json: { email: t.email, password: t.password },
          });
          await expectProblem(login, 500, "internal_error");
        }),
      );
      const errors = lines.filter((l) => l.level === "error");
      expect(errors).toHaveLength(2);
      for (const line of errors) {
        expect(line).toMatchObject({ msg: "unhandled error", status: 500, request_id: expect.any(String) });
        expect(JSON.stringify(line)).toContain("JWT_SECRET too short");
      }
      expect(JSON.stringify(lines)).not.toContain(short);
    }
    // Exactly 32 bytes is enough.
    const enough = await callWith({ JWT_SECRET: "x".repeat(32) }, "/v1/auth/login", {
      method: "POST",
      headers: { "cf-connecting-ip": uniqueIp() },
      json: { email: t.email, password: t.password },
    });
    expect(enough.status).toBe(200);
    await enough.body?.cancel();
  });
});
