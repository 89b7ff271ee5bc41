import type { EventEnvelope } from "../src/api/types";

const T0 = Date.parse("2026-11-30T12:00:00.000Z");

/** A session's events as the API sends them, built one call per event (sequence and time counted up). */
export class EventScript {
  #sequence = 0;
  readonly events: EventEnvelope[] = [];

  /** A stored event `atMs` after T0. */
  stored(
    type: string,
    atMs: number,
    data: Record<string, unknown>,
    turn: string | null = null,
    input: string | null = null,
  ): EventEnvelope {
    this.#sequence += 1;
    const event = this.#envelope(type, atMs, data, turn, input, this.#sequence);
    this.events.push(event);
    return event;
  }

  /** A delta: not stored, carrying the sequence of the last stored event before it. */
  delta(atMs: number, turn: string, messageId: string, delta: string, accumulated: string): EventEnvelope {
    return this.#envelope("message.delta", atMs, { message_id: messageId, delta, accumulated }, turn, null, this.#sequence);
  }

  userMessage(atMs: number, id: string, text: string): EventEnvelope {
    return this.stored("message.created", atMs, {
      message: { id, sequence: this.#sequence + 1, role: "user", content: [{ type: "text", text }] },
    });
  }

  agentMessage(atMs: number, turn: string, id: string, content: unknown[]): EventEnvelope {
    return this.stored("message.created", atMs, { message: { id, sequence: this.#sequence + 1, role: "agent", content } }, turn);
  }

  #envelope(
    type: string,
    atMs: number,
    data: Record<string, unknown>,
    turn: string | null,
    input: string | null,
    sequence: number,
  ): EventEnvelope {
    return {
      id: `event_${String(sequence).padStart(32, "0")}${type === "message.delta" ? `_${atMs}` : ""}`,
      type,
      ts: new Date(T0 + atMs).toISOString(),
      session_id: "session_test",
      sequence,
      context: { turn_id: turn, input_message_id: input },
      data,
    };
  }
}

/** A turn that asks for the time: a tool call, its result, then a streamed reply (deltas separate). */
export function timeTurn() {
  const s = new EventScript();
  s.userMessage(0, "message_user1", "What time is it?");
  s.stored("turn.started", 10, { turn_id: "turn_1", input_message_id: "message_user1" }, "turn_1", "message_user1");
  s.agentMessage(60, "turn_1", "message_call", [{ type: "tool_call", id: "call_1", name: "get_current_time", arguments: {} }]);
  s.stored("tool.call", 70, { tool_call: { id: "call_1", name: "get_current_time", arguments: {} } }, "turn_1");
  s.stored(
    "tool.result",
    95,
    { tool_call_id: "call_1", name: "get_current_time", status: "success", result: { iso: "x" }, error: null },
    "turn_1",
  );
  s.stored("message.created", 100, { message: { id: "message_result", role: "tool_result", content: [] } }, "turn_1");
  const firstDelta = s.delta(130, "turn_1", "message_reply", "It", "It");
  const secondDelta = s.delta(230, "turn_1", "message_reply", " is noon", "It is noon");
  const stored = s.events.length;
  s.agentMessage(300, "turn_1", "message_reply", [{ type: "text", text: "It is noon" }]);
  s.stored(
    "turn.completed",
    310,
    { turn_id: "turn_1", iterations: 2, duration_ms: 300, usage: { input_tokens: 40, output_tokens: 12 } },
    "turn_1",
  );
  s.stored("session.completed", 312, { status: "idle", usage: { input_tokens: 40, output_tokens: 12 } });
  return { script: s, beforeReply: s.events.slice(0, stored), afterReply: s.events.slice(stored), firstDelta, secondDelta };
}
