import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { limitFrom } from "../src/middleware/rate-limit";
import { captureConsole, jsonLines } from "./support/console";
import { expectProblem } from "./support/problems";
import { unreachableRateLimiter } from "./support/rate-limiter";
import { callWith } from "./support/requests";
import { newTenant, uniqueIp } from "./support/tenants";

async function expectRateLimited(res: Response): Promise<void> {
  const body = await expectProblem(res, 429, "rate_limited");
  expect(body.retry_after_seconds).toBeGreaterThanOrEqual(1);
  expect(body.retry_after_seconds).toBeLessThanOrEqual(60);
  expect(res.headers.get("retry-after")).toBe(String(body.retry_after_seconds));
}

/** A Rate Limiting binding that allows `limit` calls per key and records the keys it was asked about, in order. */
function countingLimit(limit: number): { binding: RateLimit; keys: () => string[] } {
  const counts = new Map<string, number>();
  const binding: RateLimit = {
    limit: async ({ key }) => {
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      return { success: n <= limit };
    },
  };
  return { binding, keys: () => [...counts.keys()] };
}

describe("rate limits", () => {
  it("limits login per client IP; another IP is unaffected", async () => {
    const t = await newTenant();
    const ip = uniqueIp();
    const limits = { RATE_LIMIT_LOGIN_PER_MINUTE: "3" };
    const login = (from: string) =>
      callWith(limits, "/v1/auth/login", {
        method: "POST",
        headers: { "cf-connecting-ip": from },
        json: { email: t.email, password: "wrong password" },
      });
    for (let i = 0; i < 3; i += 1) {
      const res = await login(ip);
      expect(res.status).toBe(401);
      await res.body?.cancel();
    }
    await expectRateLimited(await login(ip));
    // Even the right password is refused from that IP until the window ends.
    await expectRateLimited(
      await callWith(limits, "/v1/auth/login", {
        method: "POST",
        headers: { "cf-connecting-ip": ip },
        json: { email: t.email, password: t.password },
      }),
    );
    const elsewhere = await login(uniqueIp());
    expect(elsewhere.status).toBe(401);
    await elsewhere.body?.cancel();
  });

  it("limits register per client IP with the default of 10 a minute", async () => {
    const ip = uniqueIp();
    const register = () =>
      callWith({}, "/v1/auth/register", { method: "POST", headers: { "cf-connecting-ip": ip }, json: { email: "bad" } });
    for (let i = 0; i < 10; i += 1) {
      const res = await register();
      expect(res.status).toBe(400);
      await res.body?.cancel();
    }
    await expectRateLimited(await register());
  });

  it("limits the API per user, and per API key separately, through the Rate Limiting binding", async () => {
    const t = await newTenant();
    const limiter = countingLimit(2);
    const limits = { API_RATE_LIMIT: limiter.binding };
    for (let i = 0; i < 2; i += 1) expect((await callWith(limits, "/v1/auth/me", { headers: t.headers })).status).toBe(200);
    await expectRateLimited(await callWith(limits, "/v1/auth/me", { headers: t.headers }));

    const k = await newTenant({ apiKey: true });
    const byKey = { authorization: k.apiKey ?? "" };
    for (let i = 0; i < 2; i += 1) expect((await callWith(limits, "/v1/auth/me", { headers: byKey })).status).toBe(200);
    await expectRateLimited(await callWith(limits, "/v1/auth/me", { headers: byKey }));
    expect((await callWith(limits, "/v1/auth/me", { headers: k.headers })).status).toBe(200);
    expect(limiter.keys()).toEqual([`user:${t.userId}`, expect.stringMatching(/^key:key_[0-9a-f]{32}$/), `user:${k.userId}`]);
  });

  it("never calls the login limiter's Durable Object for the API: the binding counts without a round trip", async () => {
    const t = await newTenant();
    let res = new Response();
    const lines = jsonLines(
      await captureConsole(async () => {
        res = await callWith({ RATE_LIMITER: unreachableRateLimiter() }, "/v1/auth/me", { headers: t.headers });
      }),
    );
    expect(res.status).toBe(200);
    await res.body?.cancel();
    expect(lines.filter((l) => l.level !== "info")).toEqual([]);
    expect(await env.API_RATE_LIMIT.limit({ key: `probe-${crypto.randomUUID()}` })).toEqual({ success: true });
  });

  it("fails closed on login and register when the limiter is unreachable: 503 with Retry-After, logged once", async () => {
    const t = await newTenant();
    const down = { RATE_LIMITER: unreachableRateLimiter() };
    const attempts: [string, unknown][] = [
      ["/v1/auth/login", { email: t.email, password: t.password }],
      ["/v1/auth/register", { email: `user-${crypto.randomUUID()}@example.test`, password: "long enough", name: "X" }],
    ];
    for (const [path, json] of attempts) {
      const requestId = `limiter-down-${crypto.randomUUID()}`;
      let res = new Response();
      const lines = jsonLines(
        await captureConsole(async () => {
          res = await callWith(down, path, {
            method: "POST",
            headers: { "cf-connecting-ip": uniqueIp(), "x-request-id": requestId },
            json,
          });
        }),
      );
      const body = await expectProblem(res, 503, "service_unavailable");
      expect(body.retry_after_seconds).toBeGreaterThanOrEqual(1);
      expect(res.headers.get("retry-after")).toBe(String(body.retry_after_seconds));
      // One warning with the request id, from the limiter; the error renderer does not log it again.
      const problems = lines.filter((l) => l.level !== "info");
      expect(problems, path).toEqual([
        expect.objectContaining({ level: "warn", msg: "rate limiter unavailable", fail_closed: true, request_id: requestId }),
      ]);
    }
  });

  it("fails open on the rest of the API when the rate limit binding fails, with a logged warning", async () => {
    const t = await newTenant();
    let res = new Response();
    const failing: RateLimit = { limit: () => Promise.reject(new Error("rate limit binding unavailable")) };
    const lines = jsonLines(
      await captureConsole(async () => {
        res = await callWith({ API_RATE_LIMIT: failing }, "/v1/auth/me", { headers: t.headers });
      }),
    );
    expect(res.status).toBe(200);
    await res.body?.cancel();
    expect(lines).toContainEqual(expect.objectContaining({ level: "warn", msg: "rate limiter unavailable", fail_closed: false }));
  });

  it("reads limits as non-negative integers, 0 meaning off, anything else the default", () => {
    expect(limitFrom(undefined, 10)).toBe(10);
    expect(limitFrom("25", 10)).toBe(25);
    expect(limitFrom(" 0 ", 10)).toBe(0);
    expect(limitFrom("-1", 10)).toBe(10);
    expect(limitFrom("ten", 10)).toBe(10);
  });
});
