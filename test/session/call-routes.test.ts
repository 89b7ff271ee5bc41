import { describe, expect, it } from "vitest";
import type { LlmToolCall } from "../../src/llm/types";
import { type CallTools, callEvents, inCallOrder, routeCalls } from "../../src/session/call-routes";
import type { ToolOutcome } from "../../src/session/tools";

const call = (id: string, name: string): LlmToolCall => ({ id, name, arguments: {} });
const context = { turn_id: "turn_1", input_message_id: "message_1" };

/** Built-in `current_time` (no approval) and `web_fetch` (requires approval); the client runs `pick_color` and `web_fetch`. */
function tools(verdicts: Record<string, "run" | "ask" | "reject"> = {}): CallTools & { asked: [string, boolean][] } {
  const asked: [string, boolean][] = [];
  return {
    asked,
    builtIn: new Map([
      ["current_time", {}],
      ["web_fetch", { requiresApproval: true }],
    ]),
    byClient: (name) => name === "pick_color" || name === "web_fetch",
    verdict: (name, gated) => {
      asked.push([name, gated]);
      return verdicts[name] ?? (gated ? "ask" : "run");
    },
  };
}

describe("where a reply's tool calls go (routeCalls)", () => {
  it("runs built-in calls here, in the reply's order, and waits for nothing when none is gated or the client's", () => {
    const calls = [call("c1", "current_time"), call("c2", "current_time")];
    const routed = routeCalls(calls, tools());
    expect(routed.here.map((c) => c.id)).toEqual(["c1", "c2"]);
    expect(routed.asked).toEqual([]);
    expect(routed.rejected).toEqual([]);
    expect(routed.waits).toBe(false);
  });

  it("sends a client tool's call to the client without asking the approval gate, and the turn waits", () => {
    const gate = tools();
    const routed = routeCalls([call("c1", "pick_color"), call("c2", "current_time")], gate);
    expect(routed.byClient(call("c1", "pick_color"))).toBe(true);
    expect(routed.here.map((c) => c.id)).toEqual(["c2"]);
    expect(routed.waits).toBe(true);
    expect(gate.asked).toEqual([["current_time", false]]);
  });

  it("runs a built-in tool here even when the client offers one of the same name", () => {
    const routed = routeCalls([call("c1", "web_fetch")], tools({ web_fetch: "run" }));
    expect(routed.byClient(call("c1", "web_fetch"))).toBe(false);
    expect(routed.here.map((c) => c.id)).toEqual(["c1"]);
  });

  it("tells the gate which tools require approval, and holds the calls it asks about for a person", () => {
    const gate = tools();
    const routed = routeCalls([call("c1", "web_fetch"), call("c2", "current_time"), call("c3", "web_fetch")], gate);
    expect(gate.asked).toEqual([
      ["web_fetch", true],
      ["current_time", false],
      ["web_fetch", true],
    ]);
    expect(routed.asked.map((c) => c.id)).toEqual(["c1", "c3"]);
    expect(routed.gated(call("c1", "web_fetch"))).toBe(true);
    expect(routed.gated(call("c2", "current_time"))).toBe(false);
    expect(routed.here.map((c) => c.id)).toEqual(["c2"]);
    expect(routed.waits).toBe(true);
  });

  it("answers a call a reject_always rule covers with the rejection, without running it or waiting", () => {
    const routed = routeCalls([call("c1", "current_time"), call("c2", "unknown_tool")], tools({ current_time: "reject" }));
    expect(routed.here.map((c) => c.id)).toEqual(["c2"]);
    expect(routed.waits).toBe(false);
    expect(routed.rejected).toEqual([
      {
        call: call("c1", "current_time"),
        status: "error",
        result: null,
        error: "A person rejected every call of this tool in this session",
        errorCode: "tool_rejected",
        internal: false,
      },
    ]);
  });
});

describe("the events of a reply's calls (callEvents)", () => {
  it("marks the client's calls and the gated ones, then asks for approval of each gated call until expiresAt", () => {
    const calls = [call("c1", "pick_color"), call("c2", "web_fetch"), call("c3", "current_time")];
    const routed = routeCalls(calls, tools());
    const expiresAt = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(callEvents(calls, routed, context, expiresAt)).toEqual([
      { type: "tool.call", context, data: { tool_call: calls[0], executor: "client", tool_calls: [calls[0]] } },
      { type: "tool.call", context, data: { tool_call: calls[1], approval: "required" } },
      { type: "tool.call", context, data: { tool_call: calls[2] } },
      { type: "tool.approval_requested", context, data: { tool_call: calls[1], expires_at: "2026-01-01T12:00:00.000Z" } },
    ]);
  });
});

describe("results in the order of their calls (inCallOrder)", () => {
  it("orders outcomes by the calls they answer and leaves out a call with none", () => {
    const outcome = (c: LlmToolCall): ToolOutcome => ({ call: c, status: "success", result: c.id, error: null, internal: false });
    const [a, b, c] = [call("a", "current_time"), call("b", "current_time"), call("c", "current_time")];
    expect(inCallOrder([a, b, c], [outcome(c), outcome(a)]).map((o) => o.call.id)).toEqual(["a", "c"]);
  });
});
