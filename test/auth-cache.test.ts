import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { principalCache } from "../src/services/principal-cache";
import { apiKeyPrincipal } from "../src/services/principals";
import { expectProblem } from "./support/problems";
import { callAs, callWith } from "./support/requests";
import { newTenant } from "./support/tenants";

/** Revokes a key in D1 directly, as another isolate would: this isolate's cache is not told. */
async function revokeElsewhere(keyId: string): Promise<void> {
  await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(new Date().toISOString(), keyId).run();
}

describe("principal cache", () => {
  it("reuses a key's principal within the isolate until the TTL, so a revocation elsewhere takes effect within it", async () => {
    const t = await newTenant({ apiKey: true });
    const byKey = { headers: { authorization: `Bearer ${t.apiKey}` } };
    expect((await callAs(byKey, "/v1/agents")).status).toBe(200);
    const listed = (await (await callAs(t, "/v1/auth/api-keys")).json()) as { data: { id: string }[] };
    await revokeElsewhere(listed.data[0]?.id ?? "");
    // Still cached here: the documented revocation delay (PRINCIPAL_CACHE_TTL_MS) for other isolates.
    expect((await callAs(byKey, "/v1/agents")).status).toBe(200);
    principalCache.clear(); // what the TTL does
    await expectProblem(await callAs(byKey, "/v1/agents"), 401, "unauthorized");
  });

  it("forgets every cached principal when this isolate revokes a key or changes a membership", async () => {
    const t = await newTenant({ apiKey: true });
    const byKey = { headers: { authorization: `Bearer ${t.apiKey}` } };
    expect((await callAs(byKey, "/v1/agents")).status).toBe(200);
    const listed = (await (await callAs(t, "/v1/auth/api-keys")).json()) as { data: { id: string }[] };
    const revoke = await callAs(t, `/v1/auth/api-keys/${listed.data[0]?.id}`, { method: "DELETE" });
    expect(revoke.status).toBe(204);
    await expectProblem(await callAs(byKey, "/v1/agents"), 401, "unauthorized");
  });

  it("still refuses a cached key once it expires", async () => {
    const t = await newTenant();
    const created = await callAs(t, "/v1/auth/api-keys", {
      method: "POST",
      json: { name: "short", expires_at: new Date(Date.now() + 1500).toISOString() },
    });
    expect(created.status).toBe(201);
    const key = ((await created.json()) as { key: string }).key;
    expect((await callWith({}, "/v1/agents", { headers: { authorization: key } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    await expectProblem(await callWith({}, "/v1/agents", { headers: { authorization: key } }), 401, "unauthorized");
  });

  it("never stores an answer read before a revocation that cleared the cache meanwhile", async () => {
    const t = await newTenant({ apiKey: true });
    const listed = (await (await callAs(t, "/v1/auth/api-keys")).json()) as { data: { id: string }[] };
    principalCache.clear();
    // A D1 whose answers arrive only when the test lets them: the lookup reads the key while it is valid.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = new Proxy(env.DB, {
      get(target, prop) {
        if (prop !== "prepare") return Reflect.get(target, prop);
        return (sql: string) => {
          const statement = target.prepare(sql);
          const hold = <T>(answer: Promise<T>) =>
            answer.then(async (value) => {
              await held;
              return value;
            });
          return new Proxy(statement, {
            get(inner, name) {
              if (name === "bind")
                return (...values: unknown[]) => {
                  const bound = inner.bind(...values);
                  return new Proxy(bound, {
                    get: (b, n) =>
                      ["all", "first", "raw", "run"].includes(String(n))
                        ? (...a: unknown[]) => hold((Reflect.get(b, n) as (...x: unknown[]) => Promise<unknown>).apply(b, a))
                        : Reflect.get(b, n),
                  });
                };
              return Reflect.get(inner, name);
            },
          });
        };
      },
    });
    const inFlight = apiKeyPrincipal(createDb(slow), t.apiKey ?? "", null);
    await new Promise((r) => setTimeout(r, 50)); // the read has been answered, the answer is held
    const revoke = await callAs(t, `/v1/auth/api-keys/${listed.data[0]?.id}`, { method: "DELETE" });
    expect(revoke.status).toBe(204);
    release();
    await inFlight; // its caller may still get the old answer: it was read before the revocation
    await expectProblem(await callAs({ headers: { authorization: `Bearer ${t.apiKey}` } }, "/v1/agents"), 401, "unauthorized");
  });

  it("is not flushed by a revoke that revokes nothing (404)", async () => {
    const t = await newTenant({ apiKey: true });
    const byKey = { headers: { authorization: `Bearer ${t.apiKey}` } };
    expect((await callAs(byKey, "/v1/agents")).status).toBe(200);
    const listed = (await (await callAs(t, "/v1/auth/api-keys")).json()) as { data: { id: string }[] };
    await revokeElsewhere(listed.data[0]?.id ?? "");
    const member = await newTenant();
    await expectProblem(await callAs(member, `/v1/auth/api-keys/key_${"0".repeat(31)}1`, { method: "DELETE" }), 404, "api_key_not_found");
    // Still the cached answer: the 404 cleared nothing (the revocation elsewhere shows within the TTL).
    expect((await callAs(byKey, "/v1/agents")).status).toBe(200);
  });
});
