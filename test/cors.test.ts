import { describe, expect, it } from "vitest";
import { callWith } from "./support/requests";
import { newTenant } from "./support/tenants";

const ALLOWED = "https://app.example";
const CONFIGURED = { CORS_ALLOWED_ORIGINS: `${ALLOWED}, https://other.example` };

/** A browser's preflight for a POST with credentials and a JSON body, from `origin`. */
function preflight(origin: string): RequestInit {
  return {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
  };
}

describe("CORS", () => {
  it("answers a preflight from a listed origin with that exact origin", async () => {
    for (const origin of [ALLOWED, "https://other.example"]) {
      const res = await callWith(CONFIGURED, "/v1/agents", preflight(origin));
      await res.body?.cancel();
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe(origin);
      expect(res.headers.get("access-control-allow-methods")).toContain("POST");
      expect(
        res.headers
          .get("access-control-allow-methods")
          ?.split(",")
          .map((m) => m.trim())
          .sort(),
      ).toEqual(["DELETE", "GET", "OPTIONS", "PATCH", "POST"]);
      expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
      expect(res.headers.get("vary")).toContain("Origin");
      expect(res.headers.get("x-request-id")).toBeTruthy();
    }
  });

  it("lets a listed origin send Idempotency-Key on a POST and read Idempotent-Replayed on the replay", async () => {
    const res = await callWith(CONFIGURED, "/v1/agents", {
      method: "OPTIONS",
      headers: {
        origin: ALLOWED,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, idempotency-key",
      },
    });
    await res.body?.cancel();
    expect(res.status).toBe(204);
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").split(",").map((h) => h.trim().toLowerCase());
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type", "idempotency-key"]));

    const t = await newTenant();
    const init = {
      method: "POST",
      headers: { ...t.headers, origin: ALLOWED, "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ name: "Browser agent", system_prompt: "Hi." }),
    };
    const first = await callWith(CONFIGURED, "/v1/agents", init);
    await first.body?.cancel();
    expect(first.status).toBe(201);
    const replay = await callWith(CONFIGURED, "/v1/agents", init);
    await replay.body?.cancel();
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(
      replay.headers
        .get("access-control-expose-headers")
        ?.toLowerCase()
        .split(",")
        .map((h) => h.trim()),
    ).toContain("idempotent-replayed");
  });

  it("does not allow an origin that is not listed, nor a near miss", async () => {
    for (const origin of ["https://evil.example", "https://app.example.evil.test", "http://app.example"]) {
      const res = await callWith(CONFIGURED, "/v1/agents", preflight(origin));
      await res.body?.cancel();
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("lets a listed origin read responses, errors included, and their X-Request-ID", async () => {
    const t = await newTenant();
    const ok = await callWith(CONFIGURED, "/v1/agents", { headers: { ...t.headers, origin: ALLOWED } });
    await ok.body?.cancel();
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(ok.headers.get("access-control-expose-headers")).toContain("X-Request-ID");
    const denied = await callWith(CONFIGURED, "/v1/agents", { headers: { origin: ALLOWED } });
    await denied.body?.cancel();
    expect(denied.status).toBe(401);
    expect(denied.headers.get("content-type")).toBe("application/problem+json");
    expect(denied.headers.get("access-control-allow-origin")).toBe(ALLOWED);
  });

  it("is off when CORS_ALLOWED_ORIGINS is empty", async () => {
    const t = await newTenant();
    const res = await callWith({ CORS_ALLOWED_ORIGINS: "" }, "/v1/agents", { headers: { ...t.headers, origin: ALLOWED } });
    await res.body?.cancel();
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await callWith({ CORS_ALLOWED_ORIGINS: "" }, "/v1/agents", preflight(ALLOWED));
    await pre.body?.cancel();
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
  });
});
