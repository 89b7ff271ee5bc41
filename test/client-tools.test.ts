import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FREE_FORM_MAX_DEPTH } from "../src/lib/json-depth";
import { sessionStub } from "../src/services/session-client";
import type { EventEnvelope } from "../src/session/rpc";
import { sleep } from "./support/async";
import { isEnd, settledEvents, stored, TERMINAL } from "./support/events";
import { fakeModel, lastRequest, scenarioBase } from "./support/models";
import { expectProblem } from "./support/problems";
import { callAs } from "./support/requests";
import { createAgent, createSession, getSession, listMessages, sendMessage } from "./support/resources";
import { openStream, SseReader } from "./support/sse-reader";
import { newTenant, type Tenant } from "./support/tenants";

const LOOKUP = {
  type: "client_side",
  name: "lookup_order",
  description: "Look an order up in the client's system",
  parameters: { type: "object", properties: { id: { type: "number" } }, required: ["id"] },
};

/** An agent with the client-side tool and `current_time`, a session, and its open stream. */
async function clientToolSession(t?: Tenant) {
  const tenant = t ?? (await newTenant());
  const agent = await createAgent(tenant, { tools: [LOOKUP], capabilities: ["current_time"] });
  const session = await createSession(tenant, agent.id);
  const reader = new SseReader(await openStream(tenant, session.id));
  return { t: tenant, agent, session, reader };
}

const postResults = (t: Tenant, sessionId: string, tool_results: unknown[]) =>
  callAs(t, `/v1/sessions/${sessionId}/tool-results`, { method: "POST", json: { tool_results } });

/** How long until the session object's alarm (negative or 0 when none is set). */
const alarmIn = (sessionId: string) =>
  runInDurableObject(sessionStub(env, sessionId), async (_instance, state) => ((await state.storage.getAlarm()) ?? 0) - Date.now());

/** Reads the stream until the turn emits a call of a client-side tool; returns it. */
async function untilClientCall(reader: SseReader): Promise<EventEnvelope> {
  const events = await reader.collectUntil((e) => e.type === "tool.call" && e.data.executor === "client");
  const call = events.at(-1);
  if (!call) throw new Error("no client tool call");
  return call;
}

describe("client-side tools", () => {
  it("emits the call for the client, waits in waitingfortoolresults, and goes on once the result is posted", async () => {
    const { t, agent, session, reader } = await clientToolSession();
    expect(agent.tools).toEqual([LOOKUP]);
    await sendMessage(t, session.id, 'call lookup_order {"id": 42}');
    const call = await untilClientCall(reader);
    const toolCall = { id: "call_1", name: "lookup_order", arguments: { id: 42 } };
    expect(call.data).toEqual({ tool_call: toolCall, executor: "client", tool_calls: [toolCall] });
    expect((await getSession(t, session.id)).status).toBe("waitingfortoolresults");
    // Parked with a stream open, the object wakes only for that stream's credential check (every 4 s);
    // with nobody watching it sleeps until the wait would time out (the next test).
    await sleep(100);
    expect(await alarmIn(session.id)).toBeLessThanOrEqual(4_000);

    const res = await postResults(t, session.id, [{ tool_call_id: "call_1", result: { status: "shipped" } }]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 1, status: "active" });
    const rest = await reader.collectUntil(isEnd);
    await reader.cancel();
    expect(rest.find((e) => e.type === "tool.result")?.data).toEqual({
      tool_call_id: "call_1",
      name: "lookup_order",
      status: "success",
      result: { status: "shipped" },
      error: null,
    });
    expect(rest.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed"]);
    const reply = (await listMessages(t, session.id)).at(-1);
    expect(reply?.content).toEqual([{ type: "text", text: 'lookup_order returned: {"status":"shipped"}' }]);
    expect((await getSession(t, session.id)).status).toBe("idle");
    // Filters know the call under the SDKs' name.
    const requested = (await settledEvents(t, session.id)).filter((e) => e.type === "tool.call");
    const byAlias = await callAs(t, `/v1/sessions/${session.id}/events?types=tool.call_requested`, {
      headers: { accept: "application/json" },
    });
    expect(((await byAlias.json()) as { data: EventEnvelope[] }).data.map((e) => e.id)).toEqual(requested.map((e) => e.id));
  });

  it("sleeps while it waits with nobody watching: no alarm before the wait would time out (10 min), not every watchdog period (30 s)", async () => {
    const t = await newTenant();
    const agent = await createAgent(t, { tools: [LOOKUP] });
    const session = await createSession(t, agent.id);
    await sendMessage(t, session.id, 'call lookup_order {"id": 7}');
    for (let i = 0; i < 100 && (await getSession(t, session.id)).status !== "waitingfortoolresults"; i += 1) await sleep(50);
    expect((await getSession(t, session.id)).status).toBe("waitingfortoolresults");
    expect(await alarmIn(session.id)).toBeGreaterThan(9 * 60_000);
  });

  it("refuses results for unknown or answered calls, and when nothing waits, with codes a client can act on", async () => {
    const { t, session, reader } = await clientToolSession();
    const notWaiting = await expectProblem(
      await postResults(t, session.id, [{ tool_call_id: "call_1", result: 1 }]),
      409,
      "not_waiting_for_tool_results",
    );
    expect(notWaiting.detail).toContain("not waiting for tool results"); // the phrase the official SDKs retry on
    await sendMessage(t, session.id, 'call lookup_order {"id": 1} and call lookup_order {"id": 2}');
    await untilClientCall(reader);
    await expectProblem(await postResults(t, session.id, [{ tool_call_id: "call_9", result: 1 }]), 422, "unknown_tool_call", [
      "body.tool_results.0.tool_call_id",
    ]);
    await expectProblem(
      await postResults(t, session.id, [{ tool_call_id: "call_1" }, { tool_call_id: "call_1" }]),
      400,
      "validation_failed",
      ["body.tool_results.1.tool_call_id"],
    );
    expect(await (await postResults(t, session.id, [{ tool_call_id: "call_1", error: "not found" }])).json()).toEqual({
      accepted: 1,
      status: "waitingfortoolresults",
    });
    await expectProblem(await postResults(t, session.id, [{ tool_call_id: "call_1", result: 1 }]), 409, "tool_call_already_answered", [
      "body.tool_results.0.tool_call_id",
    ]);
    // All or none: a request naming an answered call stores nothing, so call_2 still waits.
    await expectProblem(
      await postResults(t, session.id, [
        { tool_call_id: "call_2", result: 2 },
        { tool_call_id: "call_1", result: 1 },
      ]),
      409,
      "tool_call_already_answered",
    );
    expect((await getSession(t, session.id)).status).toBe("waitingfortoolresults");
    expect(await (await postResults(t, session.id, [{ tool_call_id: "call_2", result: { ok: true } }])).json()).toEqual({
      accepted: 1,
      status: "active",
    });
    const rest = await reader.collectUntil(isEnd);
    await reader.cancel();
    expect(rest.filter((e) => e.type === "tool.result").map((e) => [e.data.tool_call_id, e.data.status])).toEqual([
      ["call_1", "error"],
      ["call_2", "success"],
    ]);
    await expectProblem(await postResults(t, session.id, [{ tool_call_id: "call_2", result: 1 }]), 409, "not_waiting_for_tool_results");
  });

  it("stores a result once when a retry races its first submission: one 200, the other a 409 the client can read as done", async () => {
    const { t, session, reader } = await clientToolSession();
    await sendMessage(t, session.id, 'call lookup_order {"id": 7}');
    await untilClientCall(reader);
    const body = [{ tool_call_id: "call_1", result: { status: "shipped" } }];
    const answers = await Promise.all([postResults(t, session.id, body), postResults(t, session.id, body)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    const refused = answers.find((r) => r.status === 409);
    if (refused)
      expect(["tool_call_already_answered", "not_waiting_for_tool_results"]).toContain(((await refused.json()) as { code: string }).code);
    const rest = await reader.collectUntil(isEnd);
    await reader.cancel();
    expect(rest.filter((e) => e.type === "tool.result").map((e) => e.data.result)).toEqual([{ status: "shipped" }]);
    expect(rest.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed"]);
  });

  it("refuses a result nested past the free-form limit, naming it, and the call still waits for a good one", async () => {
    const { t, session, reader } = await clientToolSession();
    await sendMessage(t, session.id, 'call lookup_order {"id": 7}');
    await untilClientCall(reader);
    // 33 levels (one past the limit) and 10,000 (deeper than a recursive walk survives), sent as text.
    for (const depth of [FREE_FORM_MAX_DEPTH + 1, 10_000]) {
      const result = `${'{"a":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`;
      const body = `{"tool_results":[{"tool_call_id":"call_1","result":${result}}]}`;
      const res = await callAs(t, `/v1/sessions/${session.id}/tool-results`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      await expectProblem(res, 400, "input_too_large", ["body.tool_results.0.result"]);
    }
    expect((await getSession(t, session.id)).status).toBe("waitingfortoolresults");
    expect(await (await postResults(t, session.id, [{ tool_call_id: "call_1", result: { depth: "fine" } }])).json()).toEqual({
      accepted: 1,
      status: "active",
    });
    const rest = await reader.collectUntil(isEnd);
    await reader.cancel();
    expect(rest.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed"]);
  });

  it("cancels a turn that waits, and queues a message sent while it waits", async () => {
    const { t, session, reader } = await clientToolSession();
    await sendMessage(t, session.id, 'call lookup_order {"id": 7}');
    await untilClientCall(reader);
    await sendMessage(t, session.id, "queued behind the wait");
    expect((await getSession(t, session.id)).status).toBe("waitingfortoolresults");
    const cancel = await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    expect(await cancel.json()).toEqual({ status: "cancelled" });
    const events = await reader.collectUntil(isEnd);
    await reader.cancel();
    expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.cancelled", "turn.completed"]);
    expect(stored(events).some((e) => e.type === "tool.result")).toBe(false);
    expect((await getSession(t, session.id)).status).toBe("idle");
    await expectProblem(await postResults(t, session.id, [{ tool_call_id: "call_1", result: 1 }]), 409, "not_waiting_for_tool_results");
  });

  it("runs built-in tools at once and waits only for the client's, storing every result in call order", async () => {
    const { t, session, reader } = await clientToolSession();
    await sendMessage(t, session.id, 'what time is it, and call lookup_order {"id": 3}');
    const call = await untilClientCall(reader);
    const id = (call.data.tool_call as { id: string }).id;
    expect(await (await postResults(t, session.id, [{ tool_call_id: id, result: "ok" }])).json()).toMatchObject({ accepted: 1 });
    const rest = await reader.collectUntil(isEnd);
    await reader.cancel();
    expect(rest.filter((e) => e.type === "tool.result").map((e) => e.data.name)).toEqual(["get_current_time", "lookup_order"]);
  });

  it("validates declared tools: client_side only, distinct names, none named like a tool of an enabled capability", async () => {
    const t = await newTenant();
    const post = (tools: unknown[], capabilities: string[] = []) =>
      callAs(t, "/v1/agents", { method: "POST", json: { name: "a", system_prompt: "b", tools, capabilities } });
    await expectProblem(await post([{ ...LOOKUP, type: "builtin" }]), 400, "validation_failed", ["body.tools.0.type"]);
    await expectProblem(await post([LOOKUP, LOOKUP]), 400, "validation_failed", ["body.tools.1.name"]);
    await expectProblem(await post([{ ...LOOKUP, name: "get_current_time" }], ["current_time"]), 400, "validation_failed", [
      "body.tools.0.name",
    ]);
    // A built-in tool's name is free when its capability is not enabled…
    const agent = await createAgent(t, { tools: [{ ...LOOKUP, name: "add" }] });
    // …until a session enables that capability, or adds a client tool named like an agent's built-in one.
    await expectProblem(
      await callAs(t, `/v1/agents/${agent.id}/sessions`, { method: "POST", json: { capabilities: ["test_math"] } }),
      400,
      "validation_failed",
      ["body.capabilities.0"],
    );
    const withClock = await createAgent(t, { capabilities: ["current_time"] });
    await expectProblem(
      await callAs(t, `/v1/agents/${withClock.id}/sessions`, {
        method: "POST",
        json: { tools: [{ ...LOOKUP, name: "get_current_time" }] },
      }),
      400,
      "validation_failed",
      ["body.tools.0.name"],
    );
    await expectProblem(
      await callAs(t, `/v1/agents/${withClock.id}`, { method: "PATCH", json: { tools: [{ ...LOOKUP, name: "get_current_time" }] } }),
      400,
      "validation_failed",
      ["body.tools.0.name"],
    );
  });

  it("offers the model one tool per name when an agent changed later meets a session's capability: the built-in one, which is what runs", async () => {
    const t = await newTenant();
    const base = scenarioBase("openai", "text");
    const agent = await createAgent(t, { default_model_id: await fakeModel(t, "openai", base) });
    const session = await createSession(t, agent.id, { capabilities: ["test_math"] });
    // The agent alone enables no capability, so a client tool named `add` is its to declare.
    const patched = await callAs(t, `/v1/agents/${agent.id}`, { method: "PATCH", json: { tools: [{ ...LOOKUP, name: "add" }, LOOKUP] } });
    expect(patched.status).toBe(200);
    await sendMessage(t, session.id, "hello");
    await settledEvents(t, session.id);
    const offered = ((await lastRequest(base)).body.tools as { function: { name: string; description: string } }[]).map(
      (tool) => tool.function,
    );
    expect(offered.filter((f) => f.name === "add")).toHaveLength(1);
    expect(offered.find((f) => f.name === "add")?.description).not.toBe(LOOKUP.description);
    expect(offered.map((f) => f.name)).toContain("lookup_order");
  });
});
