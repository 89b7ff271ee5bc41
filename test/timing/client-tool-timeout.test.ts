import { describe, expect, it, vi } from "vitest";
import { sleep } from "../support/async";
import { listEvents, TERMINAL } from "../support/events";
import { fakeModel, scenarioBase } from "../support/models";
import { expectProblem } from "../support/problems";
import { callAs } from "../support/requests";
import { createAgent, createSession, getSession, sendMessage } from "../support/resources";
import { newTenant } from "../support/tenants";
import { builtinTool, standIn } from "../support/tools";

// Runs in the "timing" project: deadline 2 s, watchdog every 250 ms, tool results timeout 3 s.

describe("a turn waiting for client-side tool results", () => {
  it("fails with tool_results_timeout once the wait passes its timeout, not the turn's deadline, and the session goes idle", async () => {
    const t = await newTenant();
    const agent = await createAgent(t, { tools: [{ type: "client_side", name: "slow_client_tool" }] });
    const session = await createSession(t, agent.id);
    const started = Date.now();
    await sendMessage(t, session.id, "call slow_client_tool");
    let events = await listEvents(t, session.id);
    while (events.at(-1)?.type !== "session.completed" && Date.now() - started < 8000) {
      await sleep(100);
      events = await listEvents(t, session.id);
    }
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(2900);
    expect(waited).toBeLessThan(5500);
    expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => [e.type, e.data.error_code])).toEqual([
      ["turn.failed", "tool_results_timeout"],
    ]);
    expect((await getSession(t, session.id)).status).toBe("idle");
    const late = await callAs(t, `/v1/sessions/${session.id}/tool-results`, {
      method: "POST",
      json: { tool_results: [{ tool_call_id: "call_1", result: 1 }] },
    });
    await expectProblem(late, 409, "not_waiting_for_tool_results");
  }, 15_000);

  it("counts the turn's deadline again once the client answered while the built-in calls still ran", async () => {
    const t = await newTenant();
    const modelId = await fakeModel(t, "openai", scenarioBase("openai", "client_and_builtin_then_hang"));
    const agent = await createAgent(t, {
      capabilities: ["test_math"],
      default_model_id: modelId,
      tools: [{ type: "client_side", name: "lookup_order" }],
    });
    const session = await createSession(t, agent.id);
    // The built-in call takes 500 ms; the client answers during it, before the turn parks.
    standIn(builtinTool("add"), async () => {
      await sleep(500);
      return 3;
    });
    await sendMessage(t, session.id, "look it up and add");
    let events = await listEvents(t, session.id);
    for (let i = 0; i < 100 && !events.some((e) => e.type === "tool.call"); i += 1) {
      await sleep(20);
      events = await listEvents(t, session.id);
    }
    const answered = await callAs(t, `/v1/sessions/${session.id}/tool-results`, {
      method: "POST",
      json: { tool_results: [{ tool_call_id: "call_client_1", result: { found: true } }] },
    });
    expect(answered.status).toBe(200);
    // The model's next call never answers: the deadline (2 s of running time) ends the turn, not the results timeout (3 s).
    const started = Date.now();
    while (events.at(-1)?.type !== "session.completed" && Date.now() - started < 8000) {
      await sleep(100);
      events = await listEvents(t, session.id);
    }
    vi.restoreAllMocks();
    expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => [e.type, e.data.error_code])).toEqual([["turn.failed", "turn_timeout"]]);
  }, 15_000);
});
