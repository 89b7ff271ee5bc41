import { describe, expect, it } from "vitest";
import { sleep } from "../support/async";
import { listEvents, TERMINAL } from "../support/events";
import { expectProblem } from "../support/problems";
import { callAs } from "../support/requests";
import { createAgent, createSession, getSession, sendMessage } from "../support/resources";
import { newTenant } from "../support/tenants";

// Runs in the "timing" project: deadline 1.5 s, watchdog every 250 ms, tool results timeout 2.5 s.

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
    expect(waited).toBeGreaterThanOrEqual(2400);
    expect(waited).toBeLessThan(5000);
    expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => [e.type, e.data.error_code])).toEqual([["turn.failed", "tool_results_timeout"]]);
    expect((await getSession(t, session.id)).status).toBe("idle");
    const late = await callAs(t, `/v1/sessions/${session.id}/tool-results`, { method: "POST", json: { tool_results: [{ tool_call_id: "call_1", result: 1 }] } });
    await expectProblem(late, 409, "not_waiting_for_tool_results");
  }, 15_000);
});
