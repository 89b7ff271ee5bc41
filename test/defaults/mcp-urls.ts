import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { everythingUrl } from "../support/mcp";
import { expectProblem } from "../support/problems";
import { callAs } from "../support/requests";
import { newTenant } from "../support/tenants";

describe("the Worker with wrangler.toml's settings refuses private MCP server URLs", () => {
  it("has the setting off", () => {
    expect(env.ALLOW_PRIVATE_MCP_URLS).not.toBe("true");
  });

  it("refuses loopback, private, link-local and plain-http URLs with 422, on create and on update", async () => {
    const t = await newTenant();
    for (const url of [
      everythingUrl(),
      "https://10.0.0.5/mcp",
      "https://169.254.169.254/mcp",
      "https://localhost/mcp",
      "https://127.0.0.1.nip.io/mcp",
      "http://mcp.example.com/mcp",
    ]) {
      await expectProblem(
        await callAs(t, "/v1/mcp-servers", { method: "POST", json: { name: "local", url } }),
        422,
        "mcp_url_not_allowed",
        ["body.url"],
      );
    }
    const ok = await callAs(t, "/v1/mcp-servers", { method: "POST", json: { name: "public", url: "https://mcp.example.com:8443/mcp" } });
    expect(ok.status).toBe(201);
    const { id } = (await ok.json()) as { id: string };
    await expectProblem(
      await callAs(t, `/v1/mcp-servers/${id}`, { method: "PATCH", json: { url: everythingUrl() } }),
      422,
      "mcp_url_not_allowed",
      ["body.url"],
    );
    const list = (await (await callAs(t, "/v1/mcp-servers")).json()) as { data: { name: string }[] };
    expect(list.data.map((s) => s.name)).toEqual(["public"]);
  });
});
