import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../src/session/rpc";
import { captureConsole } from "./support/console";
import { settledEvents, TERMINAL } from "./support/events";
import { type OwnMcpServer, startOwnMcpServer } from "./support/mcp";
import { callAs } from "./support/requests";
import { createAgent, createMcpServer, createSession, listMessages, sendMessage } from "./support/resources";
import { newTenant, type Tenant } from "./support/tenants";

const SECRET = "Bearer turn-secret-3c9d1e7a";

/** A tenant, its own everything server registered as "everything" (with a secret header), an agent using it, and a session. */
async function mcpSession(config: Record<string, unknown> = {}, own?: OwnMcpServer) {
  const t = await newTenant();
  const server = own ?? (await startOwnMcpServer());
  const registered = await createMcpServer(t, { url: server.url, headers: { Authorization: SECRET } });
  const agent = await createAgent(t, { capabilities: [{ ref: `mcp:${registered.id}`, config }] });
  const session = await createSession(t, agent.id);
  return { t, own: server, registered, agent, session };
}

/** The tool.result events of a log. */
const results = (events: EventEnvelope[]) => events.filter((e) => e.type === "tool.result").map((e) => e.data);

async function turn(t: Tenant, sessionId: string, text: string, turns: number) {
  await sendMessage(t, sessionId, text);
  return settledEvents(t, sessionId, turns);
}

describe("MCP tools in a turn (server-everything over Streamable HTTP)", () => {
  it("offers the server's tools as mcp__<server>__<tool>; a turn calls echo and the model gets the answer", async () => {
    const { t, own, session } = await mcpSession();
    const events = await turn(t, session.id, 'call mcp__everything__echo {"message": "hello from the turn"}', 1);
    const call = events.find((e) => e.type === "tool.call");
    expect(call?.data).toEqual({
      tool_call: { id: "call_1", name: "mcp__everything__echo", arguments: { message: "hello from the turn" } },
    });
    expect(results(events)).toEqual([
      {
        tool_call_id: "call_1",
        name: "mcp__everything__echo",
        status: "success",
        result: { text: "Echo: hello from the turn" },
        error: null,
      },
    ]);
    expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed"]);
    const reply = (await listMessages(t, session.id)).at(-1);
    expect(JSON.stringify(reply?.content)).toContain("Echo: hello from the turn");
    // The configured header reached the server on every request, and no event carries it.
    const seen = (await own.requests()).filter((r) => r.method !== null);
    expect(seen.map((r) => r.method)).toEqual(expect.arrayContaining(["initialize", "tools/list", "tools/call"]));
    for (const r of seen) expect(r.headers.authorization).toBe(SECRET);
    expect(JSON.stringify(events)).not.toContain("turn-secret");
    await own.stop();
  });

  it("lists the tools once for a turn and keeps the list for the session's next turns", async () => {
    const { t, own, session } = await mcpSession();
    await turn(t, session.id, 'call mcp__everything__echo {"message": "one"}', 1);
    await turn(t, session.id, 'call mcp__everything__echo {"message": "two"}', 2);
    const seen = await own.requests();
    expect(seen.filter((r) => r.method === "tools/list")).toHaveLength(1);
    expect(seen.filter((r) => r.method === "tools/call")).toHaveLength(2);
    await own.stop();
  });

  it("gives the model an isError result as a tool.result error (mcp_tool_error), and the turn completes", async () => {
    const { t, own, session } = await mcpSession();
    const events = await turn(t, session.id, "call mcp__everything__echo {}", 1);
    const [result] = results(events);
    expect(result).toMatchObject({ name: "mcp__everything__echo", status: "error", result: null, error_code: "mcp_tool_error" });
    expect(String(result?.error).length).toBeGreaterThan(0);
    expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed"]);
    const toolMessage = (await listMessages(t, session.id)).find((m) => m.role === "tool_result");
    expect(toolMessage?.content[0]).toMatchObject({ type: "tool_result", error: result?.error });
    await own.stop();
  });

  it("ends a call that outlasts MCP_TOOL_TIMEOUT_MS as mcp_timeout, and the turn completes", async () => {
    const { t, own, session } = await mcpSession();
    const started = Date.now();
    const events = await turn(t, session.id, 'call mcp__everything__trigger-long-running-operation {"duration": 6, "steps": 2}', 1);
    expect(results(events)).toEqual([expect.objectContaining({ status: "error", error_code: "mcp_timeout" })]);
    expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed"]);
    expect(Date.now() - started).toBeLessThan(15_000);
    await own.stop();
  }, 30_000);

  it("reports a server that stopped mid-session as mcp_unavailable, and the turn completes", async () => {
    const { t, own, session } = await mcpSession();
    await turn(t, session.id, 'call mcp__everything__echo {"message": "up"}', 1);
    await own.stop();
    const events = await turn(t, session.id, 'call mcp__everything__echo {"message": "down"}', 2);
    expect(results(events).at(-1)).toMatchObject({ status: "error", error_code: "mcp_unavailable" });
    expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed", "turn.completed"]);
  });

  it("offers only the tools of the allow-list", async () => {
    const { t, own, session } = await mcpSession({ tools: ["get-sum"] });
    const events = await turn(
      t,
      session.id,
      'call mcp__everything__echo {"message": "x"} then call mcp__everything__get-sum {"a": 2, "b": 3}',
      1,
    );
    expect(events.filter((e) => e.type === "tool.call").map((e) => (e.data.tool_call as { name: string }).name)).toEqual([
      "mcp__everything__get-sum",
    ]);
    expect(results(events)[0]).toMatchObject({ status: "success" });
    expect(JSON.stringify(results(events)[0]?.result)).toContain("5");
    await own.stop();
  });

  it("leaves a deleted server's tools out (and logs it); the session goes on", async () => {
    const { t, own, registered, session } = await mcpSession();
    expect((await callAs(t, `/v1/mcp-servers/${registered.id}`, { method: "DELETE" })).status).toBe(204);
    let events: EventEnvelope[] = [];
    const lines = await captureConsole(async () => {
      events = await turn(t, session.id, 'call mcp__everything__echo {"message": "gone"}', 1);
    });
    expect(events.filter((e) => e.type === "tool.call")).toEqual([]);
    expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed"]);
    expect(lines.join("\n")).toContain("mcp server of a capability ref is gone");
    await own.stop();
  });
});
