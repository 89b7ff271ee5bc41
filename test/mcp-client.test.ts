import { describe, expect, it } from "vitest";
import { callMcpTool, listMcpTools, McpFailure } from "../src/mcp/client";
import { everythingUrl, startOwnMcpServer } from "./support/mcp";

const options = { timeoutMs: 10_000 };

describe("MCP client (the SDK's Streamable HTTP client, in workerd, against server-everything)", () => {
  it("lists the server's tools with their JSON Schemas", async () => {
    const tools = await listMcpTools({ url: everythingUrl(), headers: {} }, options);
    const echo = tools.find((t) => t.name === "echo");
    expect(echo).toMatchObject({
      description: "Echoes back the input string",
      parameters: { type: "object", properties: { message: { type: "string" } } },
    });
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["get-sum", "trigger-long-running-operation"]));
  });

  it("calls a tool, sends the configured headers, and reads isError as the tool's answer", async () => {
    const own = await startOwnMcpServer();
    try {
      const target = { url: own.url, headers: { authorization: "Bearer mcp-test-secret-1", "x-tenant": "t1" } };
      const echoed = await callMcpTool(target, "echo", { message: "hello mcp" }, options);
      expect(echoed).toEqual({ text: "Echo: hello mcp", content: [], structured: null, isError: false });
      const bad = await callMcpTool(target, "echo", {}, options);
      expect(bad.isError).toBe(true);
      expect(bad.text.length).toBeGreaterThan(0);
      const seen = await own.requests();
      expect(seen.map((r) => r.method)).toEqual(expect.arrayContaining(["initialize", "notifications/initialized", "tools/call"]));
      // No standalone GET stream is opened: one operation per MCP session needs none.
      expect(seen.filter((r) => r.method === null && r.headers.accept === "text/event-stream")).toEqual([]);
      for (const r of seen.filter((r) => r.method !== null)) {
        expect(r.headers.authorization).toBe("Bearer mcp-test-secret-1");
        expect(r.headers["x-tenant"]).toBe("t1");
      }
      // Every request after initialize carries the negotiated revision and the server's session id.
      const call = seen.find((r) => r.method === "tools/call");
      expect(call?.headers["mcp-protocol-version"]).toBe("2025-11-25");
      expect(call?.headers["mcp-session-id"]).toMatch(/[0-9a-f-]{36}/);
    } finally {
      await own.stop();
    }
  });

  it("times out a call that runs past its limit (mcp_timeout)", async () => {
    const started = Date.now();
    const err = await callMcpTool(
      { url: everythingUrl(), headers: {} },
      "trigger-long-running-operation",
      { duration: 3, steps: 1 },
      { timeoutMs: 1_000 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpFailure);
    expect((err as McpFailure).code).toBe("mcp_timeout");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("reports a stopped server and an HTTP error as mcp_unavailable", async () => {
    const own = await startOwnMcpServer();
    await own.stop();
    const refused = await listMcpTools({ url: own.url, headers: {} }, options).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(McpFailure);
    expect((refused as McpFailure).code).toBe("mcp_unavailable");
    const notMcp = await listMcpTools({ url: everythingUrl().replace(/\/mcp$/, "/nothing"), headers: {} }, options).catch(
      (e: unknown) => e,
    );
    expect(notMcp).toBeInstanceOf(McpFailure);
    expect((notMcp as McpFailure).code).toBe("mcp_unavailable");
    expect((notMcp as McpFailure).message).toContain("404");
  });
});
