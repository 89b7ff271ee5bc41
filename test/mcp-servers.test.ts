import { env } from "cloudflare:workers";
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { mcpServers } from "../src/db/schema";
import { decryptSecret } from "../src/lib/encryption";
import { CapabilitySchema } from "../src/schemas/capabilities";
import { McpServerSchema, McpToolListSchema } from "../src/schemas/mcp-servers";
import { captureConsole } from "./support/console";
import { everythingUrl, startOwnMcpServer } from "./support/mcp";
import { expectProblem } from "./support/problems";
import { callAs } from "./support/requests";
import { createAgent, createMcpServer } from "./support/resources";
import { memberOf, newTenant } from "./support/tenants";

const SECRET = "Bearer mcp-secret-do-not-leak-5e1f0a9c";
const ServerList = z.object({ data: z.array(McpServerSchema) });
const CapabilityPage = z.object({ data: z.array(CapabilitySchema), total: z.number() });

async function storedHeaders(id: string): Promise<string | null> {
  const row = await createDb(env.DB).select().from(mcpServers).where(eq(mcpServers.id, id)).get();
  return row?.headersEncrypted ?? null;
}

describe("MCP servers", () => {
  it("registers, lists tools live, updates and removes a server; its headers reach the server and no response or log", async () => {
    const t = await newTenant();
    const own = await startOwnMcpServer();
    const bodies: string[] = [];
    const read = async (res: Response) => {
      const text = await res.text();
      bodies.push(text);
      return JSON.parse(text) as unknown;
    };
    let ciphertext = "";
    const lines = await captureConsole(async () => {
      const res = await callAs(t, "/v1/mcp-servers", {
        method: "POST",
        json: { name: "everything", url: own.url, headers: { Authorization: SECRET } },
      });
      expect(res.status).toBe(201);
      const created = McpServerSchema.parse(await read(res));
      expect(created).toMatchObject({ name: "everything", url: own.url, headers_set: true, capability_id: `mcp:${created.id}` });
      expect(created.id).toMatch(/^mcpsrv_[0-9a-f]{32}$/);
      ciphertext = (await storedHeaders(created.id)) ?? "";
      expect(ciphertext).toMatch(/^v1:[0-9a-f]{8}:/);
      expect(JSON.parse(await decryptSecret(env, ciphertext, created.id))).toEqual({ Authorization: SECRET });

      const tools = await callAs(t, `/v1/mcp-servers/${created.id}/tools`);
      expect(tools.status).toBe(200);
      const list = McpToolListSchema.parse(await read(tools)).data;
      expect(list.find((tool) => tool.name === "echo")).toMatchObject({
        description: "Echoes back the input string",
        parameters: { type: "object" },
      });
      const seen = (await own.requests()).filter((r) => r.method !== null);
      expect(seen.map((r) => r.method)).toContain("tools/list");
      for (const r of seen) expect(r.headers.authorization).toBe(SECRET);

      expect(McpServerSchema.parse(await read(await callAs(t, `/v1/mcp-servers/${created.id}`)))).toEqual(created);
      expect(ServerList.parse(await read(await callAs(t, "/v1/mcp-servers"))).data.map((s) => s.id)).toEqual([created.id]);

      const caps = CapabilityPage.parse(await read(await callAs(t, "/v1/capabilities?limit=100")));
      const asCapability = caps.data.find((c) => c.id === `mcp:${created.id}`);
      expect(asCapability).toMatchObject({ name: "everything", category: "mcp", status: "available" });
      expect(asCapability?.tool_definitions.map((d) => d.name)).toContain("mcp__everything__echo");
      const one = CapabilitySchema.parse(await read(await callAs(t, `/v1/capabilities/mcp:${created.id}`)));
      expect(one.tool_definitions.map((d) => d.name)).toContain("mcp__everything__get-sum");

      const renamed = await callAs(t, `/v1/mcp-servers/${created.id}`, { method: "PATCH", json: { name: "renamed" } });
      expect(McpServerSchema.parse(await read(renamed))).toMatchObject({ name: "renamed", headers_set: true });
      const cleared = await callAs(t, `/v1/mcp-servers/${created.id}`, { method: "PATCH", json: { headers: null } });
      expect(McpServerSchema.parse(await read(cleared))).toMatchObject({ headers_set: false });
      expect(await storedHeaders(created.id)).toBeNull();

      const del = await callAs(t, `/v1/mcp-servers/${created.id}`, { method: "DELETE" });
      expect(del.status).toBe(204);
      await expectProblem(await callAs(t, `/v1/mcp-servers/${created.id}`), 404, "mcp_server_not_found");
      await expectProblem(await callAs(t, `/v1/capabilities/mcp:${created.id}`), 404, "capability_not_found");
    });
    await own.stop();
    for (const body of bodies) {
      expect(body).not.toContain(SECRET);
      expect(body).not.toContain("mcp-secret");
      expect(body).not.toContain(ciphertext);
    }
    const logs = lines.join("\n");
    expect(logs).toContain('"msg":"request"');
    expect(logs).not.toContain("mcp-secret");
    expect(logs).not.toContain(ciphertext);
  });

  it("answers 502 mcp_unavailable when the server cannot be reached, and shows it unavailable among the capabilities", async () => {
    const t = await newTenant();
    const own = await startOwnMcpServer();
    const server = await createMcpServer(t, { name: "stopped", url: own.url });
    await own.stop();
    await expectProblem(await callAs(t, `/v1/mcp-servers/${server.id}/tools`), 502, "mcp_unavailable");
    const caps = CapabilityPage.parse(await (await callAs(t, "/v1/capabilities?search=stopped")).json());
    expect(caps.data).toEqual([expect.objectContaining({ id: `mcp:${server.id}`, status: "unavailable", tool_definitions: [] })]);
  });

  it("validates names, URLs and headers, keeps names unique per org, and lets only admins write", async () => {
    const t = await newTenant();
    const post = (json: unknown) => callAs(t, "/v1/mcp-servers", { method: "POST", json });
    await expectProblem(await post({ name: "Has Space", url: everythingUrl() }), 400, "validation_failed", ["body.name"]);
    await expectProblem(await post({ name: "x".repeat(33), url: everythingUrl() }), 400, "validation_failed", ["body.name"]);
    await expectProblem(await post({ name: "ftp", url: "ftp://example.com/mcp" }), 400, "validation_failed", ["body.url"]);
    await expectProblem(await post({ name: "creds", url: "https://user:pw@example.com/mcp" }), 400, "validation_failed", ["body.url"]);
    await expectProblem(await post({ name: "hdr", url: everythingUrl(), headers: { "Mcp-Session-Id": "x" } }), 400, "validation_failed", [
      "body.headers",
    ]);
    await expectProblem(await post({ name: "hdr", url: everythingUrl(), headers: { "X-Bad": "a\r\nb" } }), 400, "validation_failed");
    await createMcpServer(t, { name: "dup" });
    await expectProblem(await post({ name: "dup", url: everythingUrl() }), 409, "mcp_server_name_taken", ["body.name"]);
    const other = await createMcpServer(t, { name: "other" });
    await expectProblem(
      await callAs(t, `/v1/mcp-servers/${other.id}`, { method: "PATCH", json: { name: "dup" } }),
      409,
      "mcp_server_name_taken",
    );
    // Another org may use the same name.
    await createMcpServer(await newTenant(), { name: "dup" });

    const member = await memberOf(t);
    await expectProblem(
      await callAs(member, "/v1/mcp-servers", { method: "POST", json: { name: "m", url: everythingUrl() } }),
      403,
      "forbidden",
    );
    expect((await callAs(member, `/v1/mcp-servers/${other.id}/tools`)).status).toBe(200);
    await expectProblem(await callAs(t, "/v1/mcp-servers/provider_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f"), 400, "invalid_id");
  });

  it("lets agents use a server of their org as mcp:<id>, refuses unknown ones and unreadable configs", async () => {
    const t = await newTenant();
    const server = await createMcpServer(t);
    const agent = await createAgent(t, {
      capabilities: [
        { ref: `mcp:${server.id}`, config: { tools: ["echo"], require_approval: ["echo"] } },
        { ref: "current_time", config: { require_approval: true } },
      ],
    });
    expect(agent.capabilities.map((c) => c.ref)).toEqual([`mcp:${server.id}`, "current_time"]);
    const foreign = await createMcpServer(await newTenant());
    const post = (capabilities: unknown) =>
      callAs(t, "/v1/agents", { method: "POST", json: { name: "a", system_prompt: "p", capabilities } });
    await expectProblem(await post([`mcp:${foreign.id}`]), 422, "unknown_capability", ["body.capabilities.0"]);
    await expectProblem(await post(["current_time", "mcp:nothing"]), 422, "unknown_capability", ["body.capabilities.1"]);
    await expectProblem(await post([{ ref: "noop", config: { require_approval: "yes" } }]), 400, "validation_failed", [
      "body.capabilities.0.config.require_approval",
    ]);
    await expectProblem(await post([{ ref: `mcp:${server.id}`, config: { tools: "echo" } }]), 400, "validation_failed", [
      "body.capabilities.0.config.tools",
    ]);
  });
});
