import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expectProblem } from "./support/problems";
import { call, callAs, callWith } from "./support/requests";
import { newTenant, uniqueIp } from "./support/tenants";

const randomKey = () => `evr_${crypto.randomUUID().replaceAll("-", "")}${crypto.randomUUID().replaceAll("-", "")}`;

/** The D1 binding, counting the statements that read API keys (also through a Sessions API session). */
function countingDb(): { DB: D1Database; keyReads: () => number } {
  let reads = 0;
  const counting = <T extends D1Database | D1DatabaseSession>(db: T): T =>
    new Proxy(db, {
      get(target, prop) {
        if (prop === "withSession" && "withSession" in target) {
          return (constraint?: string) => counting(target.withSession(constraint));
        }
        if (prop !== "prepare") {
          const value = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        }
        return (sql: string) => {
          if (/from "api_keys"/i.test(sql)) reads += 1;
          return target.prepare(sql);
        };
      },
    });
  return { DB: counting(env.DB), keyReads: () => reads };
}

describe("failed credentials", () => {
  it("are limited per client address: after the limit, 429 with Retry-After; another address still gets 401", async () => {
    const ip = uniqueIp();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i += 1) {
      const res = await call("/v1/agents", { headers: { authorization: randomKey(), "cf-connecting-ip": ip } });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get("retry-after")).toBe("60");
        await expectProblem(res, 429, "rate_limited");
      } else await res.text();
    }
    expect(statuses[0]).toBe(401);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    await expectProblem(
      await call("/v1/agents", { headers: { authorization: randomKey(), "cf-connecting-ip": uniqueIp() } }),
      401,
      "unauthorized",
    );
  });

  it("are refused before the lookup once an address is over the limit, and an unknown or revoked key is looked up once", async () => {
    const t = await newTenant({ apiKey: true });
    const counting = countingDb();
    const ip = uniqueIp();
    const unknown = randomKey();
    for (let i = 0; i < 3; i += 1)
      await expectProblem(
        await callWith({ DB: counting.DB }, "/v1/agents", { headers: { authorization: unknown, "cf-connecting-ip": ip } }),
        401,
        "unauthorized",
      );
    expect(counting.keyReads()).toBe(1);
    const listed = (await (await callAs(t, "/v1/auth/api-keys")).json()) as { data: { id: string }[] };
    expect((await callAs(t, `/v1/auth/api-keys/${listed.data[0]?.id}`, { method: "DELETE" })).status).toBe(204);
    const before = counting.keyReads();
    for (let i = 0; i < 3; i += 1)
      await expectProblem(
        await callWith({ DB: counting.DB }, "/v1/agents", { headers: { authorization: t.apiKey ?? "", "cf-connecting-ip": ip } }),
        401,
        "unauthorized",
      );
    expect(counting.keyReads() - before).toBe(1);
    // An address over the limit: refused without reading D1 at all.
    const over: RateLimit = { limit: async () => ({ success: false }) };
    const blockedIp = uniqueIp();
    await expectProblem(
      await callWith({ DB: counting.DB, AUTH_FAILURE_LIMIT: over } as never, "/v1/agents", {
        headers: { authorization: randomKey(), "cf-connecting-ip": blockedIp },
      }),
      429,
      "rate_limited",
    );
    const afterBlock = counting.keyReads();
    await expectProblem(
      await callWith({ DB: counting.DB, AUTH_FAILURE_LIMIT: over } as never, "/v1/agents", {
        headers: { authorization: randomKey(), "cf-connecting-ip": blockedIp },
      }),
      429,
      "rate_limited",
    );
    expect(counting.keyReads()).toBe(afterBlock);
  });
});
