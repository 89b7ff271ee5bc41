import { describe, expect, it } from "vitest";
import { call, callAs } from "./support/requests";
import { createAgent, createSession } from "./support/resources";
import { openStream } from "./support/sse-reader";
import { newTenant, uniqueIp } from "./support/tenants";

/** OWASP API8 (security misconfiguration): what every response says about how it may be handled. */
describe("security headers", () => {
  it("keeps every /v1 answer out of caches: tokens, a key shown once, lists and errors", async () => {
    const email = `h-${crypto.randomUUID()}@example.test`;
    const registered = await call("/v1/auth/register", {
      method: "POST",
      headers: { "cf-connecting-ip": uniqueIp() },
      json: { email, password: "long enough pw", name: "H" },
    });
    const t = await newTenant();
    const key = await callAs(t, "/v1/auth/api-keys", { method: "POST", json: { name: "k" } });
    const list = await callAs(t, "/v1/agents");
    const unauthorized = await call("/v1/agents");
    const notFound = await callAs(t, "/v1/no-such-route");
    for (const [what, res] of Object.entries({ registered, key, list, unauthorized, notFound })) {
      await res.body?.cancel();
      expect(res.headers.get("cache-control"), what).toBe("no-store");
      expect(res.headers.get("x-content-type-options"), what).toBe("nosniff");
    }
  });

  it("marks every response nosniff, and leaves a stream's own cache rule alone", async () => {
    const health = await call("/health");
    await health.body?.cancel();
    expect(health.headers.get("x-content-type-options")).toBe("nosniff");
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    const stream = await openStream(t, session.id);
    await stream.body?.cancel();
    expect(stream.headers.get("cache-control")).toBe("no-cache, no-transform");
    expect(stream.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
