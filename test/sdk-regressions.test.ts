// Gaps found by running the official Everruns SDKs v0.2.1 against `npm run dev` (docs/SDK.md).
// Each test states what an SDK call needs from this API; each failed before its fix.
import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sessionStub } from "../src/services/session-client";
import type { EventEnvelope } from "../src/session/rpc";
import { isEnd, TERMINAL } from "./support/events";
import { callAs } from "./support/requests";
import { createAgent, createSession, getSession, sendMessage } from "./support/resources";
import { openStream, SseReader } from "./support/sse-reader";
import { newTenant } from "./support/tenants";

const LOOKUP = {
  type: "client_side",
  name: "lookup_order",
  description: "Look an order up in the client's system",
  parameters: { type: "object", properties: { id: { type: "number" } }, required: ["id"] },
};

describe("what the official SDKs need (docs/SDK.md)", () => {
  // TypeScript SDK sessions.cancel(): `fetch(url, {method: "POST"})` with the client's default
  // `Content-Type: application/json` and NO body (typescript/src/client.ts, SessionsClient.cancel).
  it("cancels with Content-Type: application/json and an empty body (TS SDK sessions.cancel)", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    const session = await createSession(t, agent.id);
    const res = await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(200); // was 400 invalid_json
    expect(await res.json()).toEqual({ status: "no_op" });
  });

  // Both SDK cookbooks (cookbook/*/src/weather_tools.*) run a client tool while the turn waits;
  // `wrangler dev` evicts an idle object ~10 s after its last request, production after a while too.
  it("keeps a turn waiting for client-side tool results across an eviction of its session object", async () => {
    const t = await newTenant();
    const agent = await createAgent(t, { tools: [LOOKUP] });
    const session = await createSession(t, agent.id);
    const reader = new SseReader(await openStream(t, session.id));
    await sendMessage(t, session.id, 'call lookup_order {"id": 42}');
    await reader.collectUntil((e: EventEnvelope) => e.type === "tool.call" && e.data.executor === "client");
    await reader.cancel();
    expect((await getSession(t, session.id)).status).toBe("waitingfortoolresults");

    await evictDurableObject(sessionStub(env, session.id));

    const res = await callAs(t, `/v1/sessions/${session.id}/tool-results`, {
      method: "POST",
      json: { tool_results: [{ tool_call_id: "call_1", result: { status: "shipped" } }] },
    });
    expect(res.status).toBe(200); // was 409 not_waiting_for_tool_results: the turn had ended turn.failed interrupted
    expect(await res.json()).toEqual({ accepted: 1, status: "active" });
    const after = new SseReader(await openStream(t, session.id));
    const events = await after.collectUntil(isEnd);
    await after.cancel();
    expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed"]);
  });

  // The SDKs' client-side tools cookbook declares `get_weather`; so do this API's OpenAPI example
  // and llmsim's docs. It is refused because the test_weather capability has a tool of that name,
  // although this agent does not enable that capability.
  it("accepts a client-side tool named like a built-in tool of a capability the agent does not have", async () => {
    const t = await newTenant();
    const res = await callAs(t, "/v1/agents", {
      method: "POST",
      json: { name: "weather-assistant", system_prompt: "x", tools: [{ ...LOOKUP, name: "get_weather" }] },
    });
    expect(res.status).toBe(201); // was 400 validation_failed body.tools.0.name "Taken by a built-in tool"
  });

  // SDK agents.apply(id, …) posts {…, id} to POST /v1/agents as an upsert by id. Dropping the id
  // silently would create another agent under a new id on every call, so it is refused.
  it("does not silently give an agent posted with an id another id (SDK agents.apply)", async () => {
    const t = await newTenant();
    const id = "agent_0123456789abcdef0123456789abcdef";
    const res = await callAs(t, "/v1/agents", { method: "POST", json: { id, name: "applied", system_prompt: "x" } });
    if (res.status < 400) expect(((await res.json()) as { id: string }).id).toBe(id);
    else expect([409, 422]).toContain(res.status);
  });
});
