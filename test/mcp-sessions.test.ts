import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sessionStub } from "../src/services/session-client";
import type { EventEnvelope } from "../src/session/rpc";
import { settledEvents, TERMINAL } from "./support/events";
import { eventsWhen, type OwnMcpServer, startOwnMcpServer } from "./support/mcp";
import { callAs } from "./support/requests";
import { createAgent, createMcpServer, createSession, sendMessage } from "./support/resources";
import { newTenant, type Tenant } from "./support/tenants";

const SECRET = "Bearer sessions-secret-5e1f";
const NEW_SECRET = "Bearer sessions-secret-rotated-77aa";

/** A tenant, its own everything server registered as "everything" (with a secret header), an agent using it, and a session. */
async function mcpSession() {
  const t = await newTenant();
  const own = await startOwnMcpServer();
  const registered = await createMcpServer(t, { url: own.url, headers: { Authorization: SECRET } });
  const agent = await createAgent(t, { capabilities: [{ ref: `mcp:${registered.id}` }] });
  const session = await createSession(t, agent.id);
  return { t, own, registered, session };
}

const echo = (message: string) => `call mcp__everything__echo {"message": "${message}"}`;

async function turn(t: Tenant, sessionId: string, text: string, turns: number) {
  await sendMessage(t, sessionId, text);
  return settledEvents(t, sessionId, turns);
}

const results = (events: EventEnvelope[]) => events.filter((e) => e.type === "tool.result").map((e) => e.data);
const terminals = (events: EventEnvelope[]) => events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type);

/** What the server received, by JSON-RPC method, with the MCP session each request named. */
async function seen(own: OwnMcpServer) {
  const all = await own.requests();
  const of = (method: string) => all.filter((r) => r.method === method);
  const sessionOf = (r: { headers: Record<string, unknown> }) => r.headers["mcp-session-id"] as string | undefined;
  return { all, of, sessionOf, deletes: all.filter((r) => r.http === "DELETE").map(sessionOf) };
}

describe("MCP sessions kept across a session's calls (server-everything)", () => {
  it("initializes once for the session's turns: the list once, then each call is only its tools/call", async () => {
    const { t, own, session } = await mcpSession();
    let events = await turn(t, session.id, `${echo("one")} then ${echo("two")}`, 1);
    events = await turn(t, session.id, echo("three"), 2);
    events = await turn(t, session.id, echo("four"), 3);
    expect(results(events).map((r) => r.result)).toEqual(["one", "two", "three", "four"].map((m) => ({ text: `Echo: ${m}` })));
    expect(terminals(events)).toEqual(["turn.completed", "turn.completed", "turn.completed"]);
    const s = await seen(own);
    expect(s.of("initialize")).toHaveLength(1);
    expect(s.of("notifications/initialized")).toHaveLength(1);
    expect(s.of("tools/list")).toHaveLength(1);
    expect(s.of("tools/call")).toHaveLength(4);
    // One MCP session carried the list and every call, with the credential header on each, and it is still open.
    const ids = new Set([...s.of("tools/list"), ...s.of("tools/call")].map(s.sessionOf));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f-]{36}$/);
    for (const r of s.all) expect(r.headers.authorization).toBe(SECRET);
    expect(s.deletes).toEqual([]);
    await own.stop();
  });

  it.each([404, 400] as const)("re-initializes a session the server forgot (answered %i) and the call is answered", async (status) => {
    const { t, own, session } = await mcpSession();
    await turn(t, session.id, echo("before"), 1);
    await own.forgetSessions(status);
    const events = await turn(t, session.id, echo("after"), 2);
    expect(results(events).at(-1)).toMatchObject({ status: "success", result: { text: "Echo: after" } });
    expect(terminals(events)).toEqual(["turn.completed", "turn.completed"]);
    const s = await seen(own);
    expect(s.of("initialize")).toHaveLength(2);
    // The call on the forgotten session was refused, then sent once more on the new one.
    const calls = s.of("tools/call").map(s.sessionOf);
    expect(calls).toHaveLength(3);
    expect(calls[1]).toBe(calls[0]);
    expect(calls[2]).not.toBe(calls[0]);
    // The next turn uses the new session without initializing again.
    await turn(t, session.id, echo("again"), 3);
    const later = await seen(own);
    expect(later.of("initialize")).toHaveLength(2);
    expect(later.of("tools/call").map(later.sessionOf).at(-1)).toBe(calls[2]);
    await own.stop();
  });

  it("opens a new session for a changed server (its new headers), lists its tools again and ends the old session", async () => {
    const { t, own, registered, session } = await mcpSession();
    await turn(t, session.id, echo("old"), 1);
    const patched = await callAs(t, `/v1/mcp-servers/${registered.id}`, {
      method: "PATCH",
      json: { headers: { Authorization: NEW_SECRET } },
    });
    expect(patched.status).toBe(200);
    const events = await turn(t, session.id, echo("new"), 2);
    expect(results(events).at(-1)).toMatchObject({ status: "success", result: { text: "Echo: new" } });
    const s = await seen(own);
    expect(s.of("initialize")).toHaveLength(2);
    expect(s.of("tools/list")).toHaveLength(2);
    const [oldCall, newCall] = s.of("tools/call");
    expect(oldCall?.headers.authorization).toBe(SECRET);
    expect(newCall?.headers.authorization).toBe(NEW_SECRET);
    expect(s.sessionOf(newCall ?? { headers: {} })).not.toBe(s.sessionOf(oldCall ?? { headers: {} }));
    // The old session is ended in the background, with the credentials it was opened with.
    let deletes = s.all.filter((r) => r.http === "DELETE");
    for (let i = 0; i < 50 && deletes.length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      deletes = (await own.requests()).filter((r) => r.http === "DELETE");
    }
    expect(deletes.map(s.sessionOf)).toEqual([s.sessionOf(oldCall ?? { headers: {} })]);
    expect(deletes[0]?.headers.authorization).toBe(SECRET);
    await own.stop();
  });

  it("lists the tools again once the cached list is older than its TTL, on the same MCP session", async () => {
    const { t, own, session } = await mcpSession();
    await turn(t, session.id, echo("fresh"), 1);
    await turn(t, session.id, echo("cached"), 2);
    expect((await seen(own)).of("tools/list")).toHaveLength(1);
    // The list was fetched 61 s ago (the TTL is 60 s).
    await runInDurableObject(sessionStub(env, session.id), (_instance, state) => {
      state.storage.sql.exec("UPDATE mcp_tool_lists SET fetched_at = fetched_at - 61000");
    });
    const events = await turn(t, session.id, echo("stale"), 3);
    expect(results(events).at(-1)).toMatchObject({ status: "success", result: { text: "Echo: stale" } });
    const s = await seen(own);
    expect(s.of("tools/list")).toHaveLength(2);
    expect(s.of("initialize")).toHaveLength(1);
    expect(new Set(s.of("tools/list").map(s.sessionOf)).size).toBe(1);
    await own.stop();
  });

  it("cancels a turn during an MCP call; the session's next call is answered", async () => {
    const { t, own, session } = await mcpSession();
    await sendMessage(t, session.id, 'call mcp__everything__trigger-long-running-operation {"duration": 5, "steps": 5}');
    await eventsWhen(t, session.id, (list) => list.some((e) => e.type === "tool.call"));
    const cancelled = await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    expect(await cancelled.json()).toMatchObject({ status: "cancelled" });
    const events = await turn(t, session.id, echo("after cancel"), 2);
    expect(terminals(events)).toEqual(["turn.cancelled", "turn.completed"]);
    expect(results(events).at(-1)).toMatchObject({ status: "success", result: { text: "Echo: after cancel" } });
    await own.stop();
  }, 20_000);
});
