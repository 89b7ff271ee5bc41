import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DUMMY_PASSWORD_HASH, hashPassword, PBKDF2_ITERATIONS, sha256Hex, verifyPassword } from "../src/lib/crypto";
import { captureConsole } from "./support/console";
import { call, callAs, callWith } from "./support/requests";
import { newTenant, uniqueIp } from "./support/tenants";

describe("secrets never leak", () => {
  it("no log line, error body or listing holds a password, token, API key or hash", async () => {
    const ip = uniqueIp();
    const errorBodies: string[] = [];
    const otherBodies: string[] = [];
    const secrets: string[] = [];
    const keep = async (res: Response) => {
      const text = await res.text();
      (res.status >= 400 ? errorBodies : otherBodies).push(text);
      return text;
    };

    const lines = await captureConsole(async () => {
      const t = await newTenant();
      secrets.push(t.password, t.token, t.refreshToken);
      const created = JSON.parse(await keep(await callAs(t, "/v1/auth/api-keys", { method: "POST", json: { name: "k" } }))) as {
        key: string;
      };
      secrets.push(created.key, await sha256Hex(created.key), await sha256Hex(t.refreshToken));
      const row = await env.DB.prepare("SELECT password_hash FROM users WHERE id = ?").bind(t.userId).first<{ password_hash: string }>();
      secrets.push(row?.password_hash ?? "missing", (row?.password_hash ?? "").split("$")[3] ?? "missing");

      const post = (path: string, json: unknown) => call(path, { method: "POST", headers: { "cf-connecting-ip": ip }, json });
      await keep(await post("/v1/auth/login", { email: t.email, password: `${t.password}x` }));
      await keep(await post("/v1/auth/register", { email: t.email, password: t.password, name: "again" }));
      await keep(await post("/v1/auth/register", { email: "bad", password: "short", name: "x" }));
      await keep(await post("/v1/auth/refresh", { refresh_token: t.refreshToken }));
      await keep(await post("/v1/auth/refresh", { refresh_token: t.refreshToken }));
      for (const authorization of [
        `Bearer ${t.token}x`,
        `${created.key.slice(0, -1)}0`,
        `ApiKey ${t.token}`,
        `Bearer ${created.key}`,
        created.key,
      ]) {
        await keep(await call("/v1/auth/me", { headers: { authorization } }));
      }
      await keep(await callAs(t, "/v1/auth/api-keys"));
      await keep(await callWith({ JWT_SECRET: undefined }, "/v1/auth/me", { headers: t.headers }));
      await keep(
        await callWith({ JWT_SECRET: undefined }, "/v1/auth/login", {
          method: "POST",
          headers: { "cf-connecting-ip": uniqueIp() },
          json: { email: t.email, password: t.password },
        }),
      );
    });

    const log = lines.join("\n");
    expect(errorBodies.length).toBeGreaterThan(5);
    for (const secret of secrets) {
      expect(log).not.toContain(secret);
      for (const body of errorBodies) expect(body).not.toContain(secret);
    }
    // Success bodies carry tokens by design, but never a password or a stored hash.
    for (const body of otherBodies) {
      for (const secret of [secrets[0] ?? "", ...secrets.slice(4)]) expect(body).not.toContain(secret);
    }
    expect(log).toContain("JWT_SECRET is not configured");
  });
});

describe("password hashing", () => {
  it("stores pbkdf2_sha256$<iterations>$<salt>$<hash> with a fresh salt and verifies it", async () => {
    const [a, b] = [await hashPassword("correct horse"), await hashPassword("correct horse")];
    expect(a).toMatch(new RegExp(`^pbkdf2_sha256\\$${PBKDF2_ITERATIONS}\\$[A-Za-z0-9+/]{22}==\\$[A-Za-z0-9+/]{43}=$`));
    expect(a).not.toBe(b);
    expect(await verifyPassword("correct horse", a)).toBe(true);
    expect(await verifyPassword("correct horsf", a)).toBe(false);
    expect(await verifyPassword("", a)).toBe(false);
  });

  it("verifies hashes of other iteration counts and treats malformed or too costly ones as mismatches", async () => {
    expect(await verifyPassword("pw", await hashPassword("pw", 1000))).toBe(true);
    const [, , salt, hash] = (await hashPassword("pw", 1000)).split("$");
    for (const stored of [
      "",
      "plain",
      `pbkdf2_sha256$200000$${salt}$${hash}`,
      `pbkdf2_sha256$0$${salt}$${hash}`,
      `bcrypt$1000$${salt}$${hash}`,
    ]) {
      expect(await verifyPassword("pw", stored)).toBe(false);
    }
  });

  it("has a dummy hash of full cost that no password matches (login timing for unknown emails)", async () => {
    const [, iterations, salt, hash] = DUMMY_PASSWORD_HASH.split("$");
    expect(Number(iterations)).toBe(PBKDF2_ITERATIONS);
    expect(atob(salt ?? "")).toHaveLength(16);
    expect(atob(hash ?? "")).toHaveLength(32);
    expect(await verifyPassword("", DUMMY_PASSWORD_HASH)).toBe(false);
  });
});
