import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sessionStub } from "../src/services/session-client";
import type { EventEnvelope } from "../src/session/rpc";
import { settledEvents, TERMINAL } from "./support/events";
import { decide, eventsWhen, startOwnMcpServer, untilApprovalRequested } from "./support/mcp";
import { fakeModel, scenarioBase } from "./support/models";
import { expectProblem } from "./support/problems";
import { callAs } from "./support/requests";
import { createAgent, createMcpServer, createSession, getSession, listMessages, sendMessage } from "./support/resources";
import { newTenant, type Tenant } from "./support/tenants";

const ECHO = 'call mcp__everything__echo {"message": "approved?"}';

/** A session whose agent uses its own everything server with `echo` gated (or every tool, with `require_approval: true`). */
async function gatedSession(requireApproval: unknown = ["echo"], extra: Record<string, unknown> = {}) {
  const t = await newTenant();
  const own = await startOwnMcpServer();
  const server = await createMcpServer(t, { url: own.url });
  const agent = await createAgent(t, {
    capabilities: [{ ref: `mcp:${server.id}`, config: { require_approval: requireApproval } }],
    ...extra,
  });
  const session = await createSession(t, agent.id);
  return { t, own, session };
}

const ofType = (events: EventEnvelope[], type: string) => events.filter((e) => e.type === type);
const terminalTypes = (events: EventEnvelope[]) => events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type);

async function alive(t: Tenant, sessionId: string) {
  return (await getSession(t, sessionId)).status;
}

describe("the approval gate", () => {
  it("waits before a gated MCP tool runs (the server sees no call), runs it on allow, and the turn goes on", async () => {
    const { t, own, session } = await gatedSession();
    await sendMessage(t, session.id, ECHO);
    const { events, toolCall } = await untilApprovalRequested(t, session.id);
    expect(toolCall).toEqual({ id: "call_1", name: "mcp__everything__echo", arguments: { message: "approved?" } });
    expect(ofType(events, "tool.call").map((e) => e.data)).toEqual([{ tool_call: toolCall, approval: "required" }]);
    const requested = ofType(events, "tool.approval_requested")[0];
    const expiresIn = Date.parse(String(requested?.data.expires_at)) - Date.now();
    expect(expiresIn).toBeGreaterThan(14 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(15 * 60_000);
    expect(await alive(t, session.id)).toBe("waitingfortoolresults");
    expect(ofType(events, "tool.result")).toEqual([]);
    // The side effect: the server has not been asked to run the tool.
    expect(await own.callsOf("echo")).toBe(0);

    const res = await decide(t, session.id, [{ tool_call_id: toolCall.id, decision: "allow" }]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 1, status: "active" });
    const done = await settledEvents(t, session.id, 1);
    expect(ofType(done, "tool.approval_decided").map((e) => e.data)).toEqual([
      { tool_call_id: toolCall.id, decision: "allow", decided_by: t.userId },
    ]);
    expect(ofType(done, "tool.result").map((e) => e.data)).toEqual([
      { tool_call_id: toolCall.id, name: "mcp__everything__echo", status: "success", result: { text: "Echo: approved?" }, error: null },
    ]);
    expect(terminalTypes(done)).toEqual(["turn.completed"]);
    expect(await own.callsOf("echo")).toBe(1);
    // The order a client sees: the call, the request, the decision, the result.
    const order = done.map((e) => e.type).filter((type) => type.startsWith("tool."));
    expect(order).toEqual(["tool.call", "tool.approval_requested", "tool.approval_decided", "tool.result"]);
    // A decided call cannot be decided again; an id that never waited is unknown.
    await expectProblem(
      await decide(t, session.id, [{ tool_call_id: toolCall.id, decision: "reject" }]),
      409,
      "tool_call_already_decided",
      ["body.decisions.0.tool_call_id"],
    );
    await expectProblem(await decide(t, session.id, [{ tool_call_id: "call_nope", decision: "allow" }]), 422, "unknown_tool_call", [
      "body.decisions.0.tool_call_id",
    ]);
    await own.stop();
  });

  it("gives the model a rejection with its reason (tool_rejected); the tool never runs", async () => {
    const { t, own, session } = await gatedSession(true);
    await sendMessage(t, session.id, ECHO);
    const { toolCall } = await untilApprovalRequested(t, session.id);
    const res = await decide(t, session.id, [{ tool_call_id: toolCall.id, decision: "reject", reason: "not on a Sunday" }]);
    expect(await res.json()).toEqual({ accepted: 1, status: "active" });
    const done = await settledEvents(t, session.id, 1);
    const [result] = ofType(done, "tool.result").map((e) => e.data);
    expect(result).toEqual({
      tool_call_id: toolCall.id,
      name: "mcp__everything__echo",
      status: "error",
      result: null,
      error: "A person rejected this tool call: not on a Sunday",
      error_code: "tool_rejected",
    });
    expect(terminalTypes(done)).toEqual(["turn.completed"]);
    const toolMessage = (await listMessages(t, session.id)).find((m) => m.role === "tool_result");
    expect(toolMessage?.content[0]).toMatchObject({ error: "A person rejected this tool call: not on a Sunday" });
    expect(await own.callsOf("echo")).toBe(0);
    await own.stop();
  });

  it("allow_always decides the session's later calls of that tool without asking; reject_always rejects them", async () => {
    const { t, own, session } = await gatedSession(["echo", "mcp__everything__get-sum"]);
    await sendMessage(t, session.id, ECHO);
    const first = await untilApprovalRequested(t, session.id);
    await decide(t, session.id, [{ tool_call_id: first.toolCall.id, decision: "allow_always" }]);
    await settledEvents(t, session.id, 1);
    await sendMessage(t, session.id, ECHO);
    const second = await settledEvents(t, session.id, 2);
    expect(ofType(second, "tool.approval_requested")).toHaveLength(1);
    expect(ofType(second, "tool.result").map((e) => e.data.status)).toEqual(["success", "success"]);
    expect(await own.callsOf("echo")).toBe(2);

    await sendMessage(t, session.id, 'call mcp__everything__get-sum {"a": 1, "b": 2}');
    const sum = await untilApprovalRequested(t, session.id, 2);
    await decide(t, session.id, [{ tool_call_id: sum.toolCall.id, decision: "reject_always" }]);
    await settledEvents(t, session.id, 3);
    await sendMessage(t, session.id, 'call mcp__everything__get-sum {"a": 3, "b": 4}');
    const last = await settledEvents(t, session.id, 4);
    expect(ofType(last, "tool.approval_requested")).toHaveLength(2);
    expect(ofType(last, "tool.result").at(-1)?.data).toMatchObject({ status: "error", error_code: "tool_rejected" });
    expect(await own.callsOf("get-sum")).toBe(0);
    await own.stop();
  });

  it("gates a built-in capability too", async () => {
    const t = await newTenant();
    const agent = await createAgent(t, { capabilities: [{ ref: "current_time", config: { require_approval: true } }, "test_math"] });
    const session = await createSession(t, agent.id);
    await sendMessage(t, session.id, "what time is it, and add 2 and 3");
    const { events, toolCall } = await untilApprovalRequested(t, session.id);
    expect(toolCall.name).toBe("get_current_time");
    // The ungated call of the same reply ran at once; its result waits with the gated one's.
    expect(ofType(events, "tool.call").map((e) => [(e.data.tool_call as { name: string }).name, e.data.approval ?? null])).toEqual([
      ["get_current_time", "required"],
      ["add", null],
    ]);
    await decide(t, session.id, [{ tool_call_id: toolCall.id, decision: "allow" }]);
    const done = await settledEvents(t, session.id, 1);
    expect(ofType(done, "tool.result").map((e) => [e.data.name, e.data.status])).toEqual([
      ["get_current_time", "success"],
      ["add", "success"],
    ]);
  });

  it("asks again when a provider gives a later call the id of a decided one (an OpenAI-compatible server that repeats or omits ids)", async () => {
    const t = await newTenant();
    // Every reply of this scenario calls add with the same id, call_split_1.
    const model = await fakeModel(t, "openai", scenarioBase("openai", "tool_call_split"));
    const agent = await createAgent(t, {
      default_model_id: model,
      capabilities: [{ ref: "test_math", config: { require_approval: ["add"] } }],
    });
    const session = await createSession(t, agent.id);
    await sendMessage(t, session.id, "add 2 and 3");
    const { toolCall } = await untilApprovalRequested(t, session.id);
    expect(toolCall.id).toBe("call_split_1");
    expect((await decide(t, session.id, [{ tool_call_id: toolCall.id, decision: "allow" }])).status).toBe(200);

    const second = await untilApprovalRequested(t, session.id, 2);
    expect(second.toolCall).toEqual(toolCall);
    expect(terminalTypes(second.events)).toEqual([]);
    expect(await alive(t, session.id)).toBe("waitingfortoolresults");
    const res = await decide(t, session.id, [{ tool_call_id: toolCall.id, decision: "reject", reason: "once is enough" }]);
    expect(await res.json()).toEqual({ accepted: 1, status: "active" });
    const rejected = await eventsWhen(t, session.id, (list) => ofType(list, "tool.result").length >= 2);
    expect(ofType(rejected, "tool.result").map((e) => [e.data.status, e.data.error_code ?? null])).toEqual([
      ["success", null],
      ["error", "tool_rejected"],
    ]);
    await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    expect(terminalTypes(await settledEvents(t, session.id, 1))).toEqual(["turn.cancelled"]);
  });

  it("keeps the agent's gate when a session names the same capability again without one", async () => {
    const t = await newTenant();
    const agent = await createAgent(t, { capabilities: [{ ref: "current_time", config: { require_approval: true } }] });
    const session = await createSession(t, agent.id, { capabilities: ["current_time"] });
    await sendMessage(t, session.id, "what time is it");
    const { events, toolCall } = await untilApprovalRequested(t, session.id);
    expect(toolCall.name).toBe("get_current_time");
    expect(ofType(events, "tool.result")).toEqual([]);
    expect(await alive(t, session.id)).toBe("waitingfortoolresults");
    await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    expect(terminalTypes(await settledEvents(t, session.id, 1))).toEqual(["turn.cancelled"]);
  });

  it("waits for approvals and client-side tool results in the same turn", async () => {
    const t = await newTenant();
    const lookup = {
      type: "client_side",
      name: "lookup_order",
      description: "Look an order up",
      parameters: { type: "object", properties: {} },
    };
    const agent = await createAgent(t, {
      tools: [lookup],
      capabilities: [{ ref: "current_time", config: { require_approval: ["get_current_time"] } }],
    });
    const session = await createSession(t, agent.id);
    await sendMessage(t, session.id, "call lookup_order {} and what time is it");
    const { toolCall } = await untilApprovalRequested(t, session.id);
    const clientCall = ofType(await eventsWhen(t, session.id, () => true), "tool.call").find((e) => e.data.executor === "client");
    const clientId = (clientCall?.data.tool_call as { id: string } | undefined)?.id;
    const allowed = await decide(t, session.id, [{ tool_call_id: toolCall.id, decision: "allow" }]);
    expect(await allowed.json()).toEqual({ accepted: 1, status: "waitingfortoolresults" });
    const posted = await callAs(t, `/v1/sessions/${session.id}/tool-results`, {
      method: "POST",
      json: { tool_results: [{ tool_call_id: clientId, result: { ok: true } }] },
    });
    expect(await posted.json()).toEqual({ accepted: 1, status: "active" });
    const done = await settledEvents(t, session.id, 1);
    expect(ofType(done, "tool.result").map((e) => [e.data.name, e.data.status])).toEqual([
      ["lookup_order", "success"],
      ["get_current_time", "success"],
    ]);
    expect(terminalTypes(done)).toEqual(["turn.completed"]);
  });

  it("cancels a turn that waits for approval; its call is then decided (409), and a message queued meanwhile runs next", async () => {
    const { t, own, session } = await gatedSession();
    await sendMessage(t, session.id, ECHO);
    const { toolCall } = await untilApprovalRequested(t, session.id);
    const queued = await sendMessage(t, session.id, "hello after the wait");
    expect(queued.role).toBe("user");
    const cancel = await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    expect(await cancel.json()).toEqual({ status: "cancelled" });
    const done = await settledEvents(t, session.id, 2);
    expect(terminalTypes(done)).toEqual(["turn.cancelled", "turn.completed"]);
    await expectProblem(await decide(t, session.id, [{ tool_call_id: toolCall.id, decision: "allow" }]), 409, "tool_call_already_decided");
    expect(await own.callsOf("echo")).toBe(0);
    expect(await alive(t, session.id)).toBe("idle");
    await own.stop();
  });

  it("runs a message sent while a call waits after the turn, once the call is decided", async () => {
    const { t, own, session } = await gatedSession();
    await sendMessage(t, session.id, ECHO);
    const { toolCall } = await untilApprovalRequested(t, session.id);
    await sendMessage(t, session.id, "and then this");
    expect(await alive(t, session.id)).toBe("waitingfortoolresults");
    expect(ofType(await eventsWhen(t, session.id, () => true), "turn.started")).toHaveLength(1);
    await decide(t, session.id, [{ tool_call_id: toolCall.id, decision: "allow" }]);
    const done = await settledEvents(t, session.id, 2);
    expect(terminalTypes(done)).toEqual(["turn.completed", "turn.completed"]);
    await own.stop();
  });

  it("survives the object's eviction while a call waits: the turn stays parked, and an allow after it runs the tool once", async () => {
    const { t, own, session } = await gatedSession();
    await sendMessage(t, session.id, ECHO);
    const { toolCall } = await untilApprovalRequested(t, session.id);
    const stub = sessionStub(env, session.id);
    await evictDurableObject(stub);
    await runInDurableObject(stub, (_instance, state) => state.abort("simulated restart")).catch(() => undefined);
    expect(await alive(t, session.id)).toBe("waitingfortoolresults");
    const res = await decide(t, session.id, [{ tool_call_id: toolCall.id, decision: "allow" }]);
    expect(await res.json()).toEqual({ accepted: 1, status: "active" });
    const done = await settledEvents(t, session.id, 1);
    expect(terminalTypes(done)).toEqual(["turn.completed"]);
    expect(ofType(done, "tool.result").map((e) => e.data.status)).toEqual(["success"]);
    expect(await own.callsOf("echo")).toBe(1);
    await own.stop();
  });

  it("refuses bad decisions with 400 and leaves the call waiting", async () => {
    const { t, own, session } = await gatedSession();
    await sendMessage(t, session.id, ECHO);
    const { toolCall } = await untilApprovalRequested(t, session.id);
    await expectProblem(await decide(t, session.id, [{ tool_call_id: toolCall.id, decision: "maybe" }]), 400, "validation_failed", [
      "body.decisions.0.decision",
    ]);
    await expectProblem(await decide(t, session.id, []), 400, "validation_failed", ["body.decisions"]);
    const twice = [
      { tool_call_id: toolCall.id, decision: "allow" },
      { tool_call_id: toolCall.id, decision: "reject" },
    ];
    await expectProblem(await decide(t, session.id, twice), 400, "validation_failed", ["body.decisions.1.tool_call_id"]);
    // One unknown id refuses the whole request: the known call still waits.
    await expectProblem(
      await decide(t, session.id, [
        { tool_call_id: toolCall.id, decision: "allow" },
        { tool_call_id: "call_x", decision: "allow" },
      ]),
      422,
      "unknown_tool_call",
      ["body.decisions.1.tool_call_id"],
    );
    expect(await alive(t, session.id)).toBe("waitingfortoolresults");
    // Another org's caller sees no such session.
    await expectProblem(
      await decide(await newTenant(), session.id, [{ tool_call_id: toolCall.id, decision: "allow" }]),
      404,
      "session_not_found",
    );
    await decide(t, session.id, [{ tool_call_id: toolCall.id, decision: "reject" }]);
    await settledEvents(t, session.id, 1);
    await own.stop();
  });
});
