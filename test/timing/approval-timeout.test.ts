import { describe, expect, it } from "vitest";
import { settledEvents, TERMINAL } from "../support/events";
import { decide, untilApprovalRequested } from "../support/mcp";
import { expectProblem } from "../support/problems";
import { createAgent, createSession, getSession, sendMessage } from "../support/resources";
import { newTenant } from "../support/tenants";

describe("the approval timeout (TOOL_APPROVAL_TIMEOUT_MS = 2.5 s here, past the 2 s deadline)", () => {
  it("rejects a call no one decided (decided_by timeout, tool_approval_timeout), and the turn goes on to complete", async () => {
    const t = await newTenant();
    const agent = await createAgent(t, { capabilities: [{ ref: "current_time", config: { require_approval: true } }] });
    const session = await createSession(t, agent.id);
    const sent = Date.now();
    await sendMessage(t, session.id, "what time is it?");
    const { events, toolCall } = await untilApprovalRequested(t, session.id);
    const expiresAt = Date.parse(String(events.find((e) => e.type === "tool.approval_requested")?.data.expires_at));
    expect(expiresAt - sent).toBeGreaterThanOrEqual(2_500);
    expect(expiresAt - sent).toBeLessThanOrEqual(2_500 + 5_000);
    expect((await getSession(t, session.id)).status).toBe("waitingfortoolresults");
    const done = await settledEvents(t, session.id, 1);
    expect(done.filter((e) => e.type === "tool.approval_decided").map((e) => e.data)).toEqual([
      { tool_call_id: toolCall.id, decision: "reject", decided_by: "timeout" },
    ]);
    expect(done.filter((e) => e.type === "tool.result").map((e) => e.data)).toEqual([
      {
        tool_call_id: toolCall.id,
        name: "get_current_time",
        status: "error",
        result: null,
        error: "No one approved this tool call in time",
        error_code: "tool_approval_timeout",
      },
    ]);
    // Waiting for a person does not count toward the turn's deadline (2 s here).
    expect(done.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed"]);
    await expectProblem(await decide(t, session.id, [{ tool_call_id: toolCall.id, decision: "allow" }]), 409, "tool_call_already_decided");
  });
});
