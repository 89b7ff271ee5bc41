import { z } from "@hono/zod-openapi";
import { expect } from "vitest";
import { EventSchema } from "../../src/schemas/events";
import type { EventType } from "../../src/session/events";
import { type EventEnvelope, TERMINAL_TYPES } from "../../src/session/rpc";
import { type Caller, callAs } from "./requests";

/** The event types that end a turn: exactly one of them per turn. */
export const TERMINAL: ReadonlySet<string> = TERMINAL_TYPES;

/** Whether an event ends the session's processing (a stream reader's usual stop condition). */
export const isEnd = (e: EventEnvelope) => e.type === "session.completed";

/** Events that are stored (everything but the ephemeral deltas). */
export const stored = (events: EventEnvelope[]) => events.filter((e) => e.type !== "message.delta");

/** The session's stored events as JSON (`query` filters or pages); expects 200 and `Vary: Accept`. */
export async function listEvents(caller: Caller, sessionId: string, query = "") {
  const res = await callAs(caller, `/v1/sessions/${sessionId}/events${query}`, { headers: { accept: "application/json" } });
  expect(res.status).toBe(200);
  expect(res.headers.get("vary")).toBe("Accept");
  return z.object({ data: z.array(EventSchema) }).parse(await res.json()).data;
}

/**
 * The stored log once the session has settled: every turn started has ended, at least `turns`
 * have, and the last event is session.completed.
 */
export async function settledEvents(caller: Caller, sessionId: string, turns = 0) {
  for (let i = 0; i < 250; i += 1) {
    const events = await listEvents(caller, sessionId);
    const started = events.filter((e) => e.type === "turn.started").length;
    const ended = events.filter((e) => TERMINAL.has(e.type)).length;
    if (started === ended && ended >= turns && events.at(-1)?.type === "session.completed") return events;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("the session did not settle");
}

/**
 * The deltas of every reply add up within one connection: a message's first delta there holds the
 * reply so far (delta === accumulated: the reply's start, or the snapshot a resumed client gets
 * first), each later one extends it by exactly its delta, and the stored reply is the last
 * accumulated. A delta sent twice or missed breaks the chain; `before` is what an earlier
 * connection had already received of each reply, which a snapshot must cover.
 */
export function expectDeltaChains(events: EventEnvelope[], before: Map<string, string> = new Map()) {
  const chains = new Map<string, string>();
  for (const e of events) {
    if (e.type === "message.delta") {
      const id = String(e.data.message_id);
      const accumulated = String(e.data.accumulated);
      const sofar = chains.get(id);
      if (sofar === undefined) {
        expect(e.data.delta, "a connection's first delta of a reply is the reply so far").toBe(accumulated);
        expect(accumulated.startsWith(before.get(id) ?? ""), "a snapshot covers what was received before").toBe(true);
      } else expect(accumulated).toBe(sofar + String(e.data.delta));
      chains.set(id, accumulated);
    } else if (e.type === "message.created") {
      const message = e.data.message as { id: string; content: { type: string; text?: string }[] };
      const text = message.content.find((p) => p.type === "text")?.text ?? "";
      const streamed = chains.get(message.id);
      // A reply seen to its end here is the deltas' sum; one that ended while the client was away continues what it had.
      if (streamed !== undefined) expect(text).toBe(streamed);
      else expect(text.startsWith(before.get(message.id) ?? "")).toBe(true);
    }
  }
  return chains;
}

/** A made-up stored event of session_1 (for the fan-out's unit tests, which need no real log). */
export const envelope = (sequence: number, type: EventType = "tool.call"): EventEnvelope => ({
  id: `event_${sequence}`,
  type,
  ts: new Date().toISOString(),
  session_id: "session_1",
  sequence,
  context: { turn_id: "turn_1", input_message_id: "message_1" },
  data: { n: sequence },
});
