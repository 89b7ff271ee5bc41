import { describe, expect, it } from "vitest";
import { call } from "./support/requests";

describe("Swagger UI", () => {
  it("serves the page at /swagger-ui/ under a self-only CSP", async () => {
    const res = await call("/swagger-ui/");
    const html = await res.text();
    expect(res.status, res.headers.get("location") ?? "").toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(html).toContain("/swagger-ui/vendor/swagger-ui-bundle.js");
    expect(html).not.toMatch(/https?:\/\//);
  });

  it("redirects /swagger-ui to /swagger-ui/", async () => {
    const res = await call("/swagger-ui", { redirect: "manual" });
    await res.body?.cancel();
    expect(res.status).toBe(301);
    expect(new URL(res.headers.get("location") ?? "", "http://api.test").pathname).toBe("/swagger-ui/");
  });

  it("serves its script, bundle and CSS from the Worker, each with X-Request-ID", async () => {
    for (const [path, type] of [
      ["/swagger-ui/init.js", "javascript"],
      ["/swagger-ui/vendor/swagger-ui-bundle.js", "javascript"],
      ["/swagger-ui/vendor/swagger-ui.css", "text/css"],
    ] as const) {
      const res = await call(path);
      await res.body?.cancel();
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toContain(type);
      expect(res.headers.get("x-request-id"), path).toBeTruthy();
    }
  });

  it("answers an unknown asset with the problem+json 404", async () => {
    const res = await call("/swagger-ui/vendor/nope.js");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(((await res.json()) as { code: string }).code).toBe("route_not_found");
  });
});
