import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { declaredRoutes } from "../src/middleware/traits";
import { documentedOperations } from "./support/openapi";
import { expectProblem } from "./support/problems";
import { call } from "./support/requests";
import { uniqueIp } from "./support/tenants";

describe("routes declare their traits", () => {
  it("every documented operation declares what it needs, once", async () => {
    const declared = declaredRoutes(createApp()).map((r) => `${r.method} ${r.path}`);
    expect(new Set(declared).size).toBe(declared.length);
    const documented = (await documentedOperations()).map((op) => `${op.method} ${op.path}`);
    expect(documented.filter((op) => !declared.includes(op))).toEqual([]);
  });

  it("only public routes are limited per client address, and only login and register are", () => {
    const limited = declaredRoutes(createApp()).filter((r) => r.traits.limitedPerAddress);
    expect(limited.map((r) => `${r.method} ${r.path}`).sort()).toEqual(["POST /v1/auth/login", "POST /v1/auth/register"]);
    expect(limited.every((r) => r.traits.access === "public")).toBe(true);
  });

  it("a method a public path does not serve is judged by that path's routes: 405 without credentials", async () => {
    const res = await call("/v1/auth/refresh", { method: "PATCH", headers: { "cf-connecting-ip": uniqueIp() }, json: {} });
    await expectProblem(res, 405, "method_not_allowed");
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("a path no route serves needs credentials, as every org route does", async () => {
    await expectProblem(await call("/v1/no-such-thing"), 401, "unauthorized");
    await expectProblem(await call("/v1/agents", { method: "PUT", json: {} }), 401, "unauthorized");
  });
});
