import { describe, expect, it } from "vitest";
import { call } from "./support/requests";

describe("health", () => {
  it("answers ok with the version and auth mode", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
    expect(await res.json()).toEqual({ status: "ok", version: "0.1.0", auth_mode: "required" });
  });
});
