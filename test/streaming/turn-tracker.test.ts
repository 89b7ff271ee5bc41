import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../src/session/rpc";
import { type TurnOp, TurnTracker } from "../../src/streaming/turn-tracker";

const TURN = "turn_00000000000000000000000000000001";
const OTHER = "turn_00000000000000000000000000000002";
let sequence = 0;

function event(type: string, data: Record<string, unknown>, turnId: string = TURN): EventEnvelope {
  sequence += 1;
  return {
    id: `event_${sequence}`,
    type: type as EventEnvelope["type"],
    ts: "2026-01-01T00:00:00.000Z",
    session_id: "s",
    sequence,
    context: { turn_id: turnId, input_message_id: "message_in" },
    data,
  };
}
const started = (turnId: string = TURN) =>
  event("turn.started", { turn_id: turnId, input_message_id: turnId === TURN ? "message_in" : "message_other" }, turnId);
const delta = (id: string, accumulated: string) => event("message.delta", { message_id: id, delta: "", accumulated });
const reply = (id: string, text: string, calls: { id: string; name: string }[] = []) =>
  event("message.created", {
    message: {
      id,
      role: "agent",
      content: [...(text ? [{ type: "text", text }] : []), ...calls.map((c) => ({ type: "tool_call", ...c, arguments: {} }))],
    },
  });
const call = (id: string, name: string, client = false) =>
  event("tool.call", { tool_call: { id, name, arguments: {} }, ...(client ? { executor: "client" } : {}) });

function feed(tracker: TurnTracker, events: EventEnvelope[]): TurnOp[] {
  return events.flatMap((e) => tracker.push(e));
}
const textOf = (ops: TurnOp[]) => ops.flatMap((op) => (op.op === "text-delta" ? [op.delta] : [])).join("");

describe("TurnTracker", () => {
  it("follows the turn a message starts, and nothing of another turn", () => {
    const tracker = new TurnTracker({ inputMessageId: "message_in" });
    const ops = feed(tracker, [
      started(OTHER),
      event("turn.completed", {}, OTHER),
      started(),
      delta("m1", "Hi"),
      reply("m1", "Hi"),
      event("turn.completed", {}),
    ]);
    expect(ops.map((op) => op.op)).toEqual(["start", "step-start", "text-start", "text-delta", "text-end", "step-end", "end"]);
    expect(tracker.done).toBe(true);
  });

  it("sends a reply's text once, whether it comes as deltas, a resume snapshot or only the stored message", () => {
    const resumed = new TurnTracker({ turnId: TURN });
    const ops = feed(resumed, [started(), delta("m1", "Hello wor"), delta("m1", "Hello world"), reply("m1", "Hello world, again")]);
    expect(textOf(ops)).toBe("Hello world, again");
    expect(ops.filter((op) => op.op === "text-start")).toHaveLength(1);
    const replayed = new TurnTracker({ turnId: TURN });
    expect(textOf(feed(replayed, [started(), reply("m2", "Stored only")]))).toBe("Stored only");
  });

  it("ends with waiting once every call of the reply is announced and one is the client's, not before", () => {
    const tracker = new TurnTracker({ turnId: TURN });
    const before = feed(tracker, [
      started(),
      reply("m1", "", [
        { id: "c1", name: "add" },
        { id: "c2", name: "pick" },
      ]),
      call("c1", "add"),
    ]);
    expect(tracker.done).toBe(false);
    const after = tracker.push(call("c2", "pick", true));
    expect(tracker.done).toBe(true);
    expect(after.at(-1)).toEqual({ op: "end", outcome: "waiting", calls: [{ id: "c2", name: "pick", arguments: {}, kind: "client" }] });
    expect(before.map((op) => op.op)).toEqual(["start", "step-start", "tool-call"]);
  });

  it("waits for a gated call's approval request before it ends, and carries its expiry", () => {
    const tracker = new TurnTracker({ turnId: TURN });
    feed(tracker, [
      started(),
      reply("m1", "", [{ id: "c1", name: "add" }]),
      event("tool.call", { tool_call: { id: "c1", name: "add", arguments: {} }, approval: "required" }),
    ]);
    expect(tracker.done).toBe(false);
    const ops = tracker.push(
      event("tool.approval_requested", { tool_call: { id: "c1", name: "add", arguments: {} }, expires_at: "2026-01-01T00:15:00.000Z" }),
    );
    expect(ops[0]).toEqual({
      op: "approval-request",
      call: { id: "c1", name: "add", arguments: {} },
      expiresAt: "2026-01-01T00:15:00.000Z",
    });
    expect(ops.at(-1)).toEqual({
      op: "end",
      outcome: "waiting",
      calls: [{ id: "c1", name: "add", arguments: {}, kind: "approval", expiresAt: "2026-01-01T00:15:00.000Z" }],
    });
  });

  it("does not stop at a wait that was over before the stream began (a replay), and opens a step per reply", () => {
    const tracker = new TurnTracker({ turnId: TURN }, new Set(["c1"]));
    const ops = feed(tracker, [
      started(),
      reply("m1", "", [{ id: "c1", name: "pick" }]),
      call("c1", "pick", true),
      event("tool.result", { tool_call_id: "c1", status: "success", result: { ok: true }, error: null }),
      reply("m2", "Done"),
      event("turn.failed", { error: "The turn passed its deadline", error_code: "turn_timeout" }),
    ]);
    expect(ops.filter((op) => op.op === "step-start")).toHaveLength(2);
    expect(ops.at(-1)).toEqual({ op: "end", outcome: "failed", error: "The turn passed its deadline", errorCode: "turn_timeout" });
  });

  it("ends a stream whose events stopped, once", () => {
    const tracker = new TurnTracker({ turnId: TURN });
    feed(tracker, [started(), delta("m1", "Half")]);
    expect(tracker.lost("gone").map((op) => op.op)).toEqual(["text-end", "step-end", "end"]);
    expect(tracker.lost("gone")).toEqual([]);
  });
});
