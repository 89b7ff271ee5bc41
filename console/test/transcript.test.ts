import { describe, expect, it } from "vitest";
import { applyDelta, applyStored, EMPTY_LOG, markLive } from "../src/chat/session-log";
import { buildTranscript } from "../src/chat/transcript";
import { EventScript, timeTurn } from "./events";

describe("transcript", () => {
  it("puts each turn after its user message: tool card with its result, then the reply", () => {
    const { script } = timeTurn();
    const { entries, running } = buildTranscript(applyStored(EMPTY_LOG, script.events));
    expect(running).toBeNull();
    expect(entries.map((e) => e.kind)).toEqual(["user", "turn"]);
    const turn = entries[1]?.kind === "turn" ? entries[1].turn : null;
    expect(turn?.parts.map((p) => p.kind)).toEqual(["tool", "text"]);
    expect(turn?.parts[0]).toMatchObject({ kind: "tool", call: { name: "get_current_time", status: "success", result: { iso: "x" } } });
    expect(turn?.parts[1]).toMatchObject({ kind: "text", text: "It is noon", state: "stored" });
    expect(turn?.end).toMatchObject({ outcome: "completed", durationMs: 300, usage: { input_tokens: 40, output_tokens: 12 } });
  });

  it("shows a message sent during a turn as queued until its own turn starts", () => {
    const s = new EventScript();
    s.userMessage(0, "message_a", "first");
    s.stored("turn.started", 5, { turn_id: "turn_a" }, "turn_a", "message_a");
    s.userMessage(20, "message_b", "second");
    const during = buildTranscript(applyStored(EMPTY_LOG, s.events));
    expect(during.entries.map((e) => (e.kind === "user" ? `${e.text}:${e.queued}` : "turn"))).toEqual([
      "first:false",
      "turn",
      "second:true",
    ]);
    s.stored("turn.completed", 40, { duration_ms: 35, iterations: 1, usage: null }, "turn_a");
    s.stored("turn.started", 41, { turn_id: "turn_b" }, "turn_b", "message_b");
    const after = buildTranscript(applyStored(EMPTY_LOG, s.events));
    expect(after.entries.map((e) => (e.kind === "user" ? `${e.text}:${e.queued}` : "turn"))).toEqual([
      "first:false",
      "turn",
      "second:false",
      "turn",
    ]);
  });

  it("keeps a reply cut off by a cancel, marked as stopped, and stops its running tools", () => {
    const s = new EventScript();
    s.userMessage(0, "message_a", "echo a long text");
    s.stored("turn.started", 5, { turn_id: "turn_a" }, "turn_a", "message_a");
    let log = markLive(applyStored(EMPTY_LOG, s.events));
    log = applyDelta(log, s.delta(30, "turn_a", "message_reply", "Echo:", "Echo:"));
    expect(buildTranscript(log).running?.parts).toMatchObject([{ kind: "text", text: "Echo:", state: "streaming" }]);
    log = applyStored(log, [s.stored("turn.cancelled", 50, { duration_ms: 45, iterations: 1, usage: null }, "turn_a")]);
    const { running, entries } = buildTranscript(log);
    expect(running).toBeNull();
    expect(entries[1]).toMatchObject({
      kind: "turn",
      turn: { end: { outcome: "cancelled" }, parts: [{ text: "Echo:", state: "stopped" }] },
    });
  });

  it("shows a gated call waiting for approval, then the decision and the result", () => {
    const s = new EventScript();
    const call = { id: "call_1", name: "mcp__everything__echo", arguments: { message: "hi" } };
    s.userMessage(0, "message_a", "call mcp__everything__echo");
    s.stored("turn.started", 5, { turn_id: "turn_a" }, "turn_a", "message_a");
    s.stored("tool.call", 10, { tool_call: call, approval: "required" }, "turn_a");
    s.stored("tool.approval_requested", 10, { tool_call: call, expires_at: "2026-11-30T12:15:00.000Z" }, "turn_a");
    const waiting = buildTranscript(applyStored(EMPTY_LOG, s.events));
    expect(waiting.running?.parts[0]).toMatchObject({
      kind: "tool",
      call: { status: "running", approval: { decision: null, expiresAt: "2026-11-30T12:15:00.000Z" } },
    });
    s.stored("tool.approval_decided", 900, { tool_call_id: "call_1", decision: "allow", decided_by: "user_1" }, "turn_a");
    s.stored(
      "tool.result",
      950,
      { tool_call_id: "call_1", name: call.name, status: "success", result: { text: "Echo: hi" }, error: null },
      "turn_a",
    );
    const decided = buildTranscript(applyStored(EMPTY_LOG, s.events));
    expect(decided.running?.parts[0]).toMatchObject({
      kind: "tool",
      call: { status: "success", approval: { decision: "allow", decidedBy: "user_1" } },
    });
  });

  it("leaves an ungated call without an approval", () => {
    const { script } = timeTurn();
    const turn = buildTranscript(applyStored(EMPTY_LOG, script.events)).entries[1];
    expect(turn?.kind === "turn" && turn.turn.parts[0]?.kind === "tool" ? turn.turn.parts[0].call.approval : "missing").toBeNull();
  });
});
