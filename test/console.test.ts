import { describe, expect, it } from "vitest";
import { CONSOLE_CSP } from "../src/routes/console";
import { expectProblem } from "./support/problems";
import { call, callWith } from "./support/requests";

describe("console", () => {
  it("serves the page at /console/ under the strict self-only CSP", async () => {
    const res = await call("/console/");
    const html = await res.text();
    expect(res.status, res.headers.get("location") ?? "").toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("connect-src 'self'");
    expect(CONSOLE_CSP).not.toContain("unsafe-inline");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(html).toContain('src="assets/console.js"');
    expect(html).not.toMatch(/https?:\/\//);
    // No inline script: every <script> names its source.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it("redirects /console to /console/", async () => {
    const res = await call("/console", { redirect: "manual" });
    await res.body?.cancel();
    expect(res.status).toBe(301);
    expect(new URL(res.headers.get("location") ?? "", "http://api.test").pathname).toBe("/console/");
  });

  it("serves its script and stylesheet from the Worker with the same headers", async () => {
    for (const [path, type] of [
      ["/console/assets/console.js", "javascript"],
      ["/console/assets/console.css", "text/css"],
    ] as const) {
      const res = await call(path);
      await res.body?.cancel();
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toContain(type);
      expect(res.headers.get("content-security-policy"), path).toBe(CONSOLE_CSP);
      expect(res.headers.get("x-request-id"), path).toBeTruthy();
    }
  });

  it("answers an unknown asset with the problem+json 404", async () => {
    await expectProblem(await call("/console/assets/nope.js"), 404, "route_not_found");
  });

  it("follows the API's CORS rules", async () => {
    const res = await callWith({ CORS_ALLOWED_ORIGINS: "https://app.example" }, "/console/", {
      headers: { origin: "https://app.example" },
    });
    await res.body?.cancel();
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const other = await callWith({ CORS_ALLOWED_ORIGINS: "https://app.example" }, "/console/", {
      headers: { origin: "https://evil.example" },
    });
    await other.body?.cancel();
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
