import type { events } from "./db/schema";

/**
 * The session's event vocabulary (spec §5), written once: the types, which of them end a turn,
 * the envelope and how a stored row becomes one. `message.delta` is ephemeral: streamed live,
 * never stored in the log.
 */
export const EVENT_TYPES = [
  "message.created",
  "message.delta",
  "tool.call",
  "tool.result",
  "turn.started",
  "turn.completed",
  "turn.failed",
  "turn.cancelled",
  "session.completed",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/** Exactly one of these ends every turn. */
export const TERMINAL_TYPES: ReadonlySet<EventType> = new Set(["turn.completed", "turn.failed", "turn.cancelled"]);

export function isTerminal(type: string): boolean {
  return TERMINAL_TYPES.has(type as EventType);
}

export interface EventContext {
  turn_id: string | null;
  input_message_id: string | null;
}

export const NO_CONTEXT: EventContext = { turn_id: null, input_message_id: null };

/** The envelope every event has, on the wire and in the JSON list. */
export interface EventEnvelope {
  id: string;
  type: EventType;
  ts: string;
  session_id: string;
  /** Position in the session's log. A delta carries the sequence of the last stored event before it. */
  sequence: number;
  context: EventContext;
  data: Record<string, unknown>;
}

/**
 * An event before the log has given it an id, a time and a sequence. `data` may be a function of
 * the sequence, for payloads that contain it (a message carries its message.created sequence).
 */
export interface EventDraft {
  type: EventType;
  context: EventContext;
  data: Record<string, unknown> | ((sequence: number) => Record<string, unknown>);
}

export type EventRow = typeof events.$inferSelect;

/** The one mapping from a stored event row to its envelope. */
export function toEnvelope(row: EventRow, sessionId: string): EventEnvelope {
  return {
    id: row.id,
    type: row.type as EventType,
    ts: row.ts,
    session_id: sessionId,
    sequence: row.sequence,
    context: { turn_id: row.turnId ?? null, input_message_id: row.inputMessageId ?? null },
    data: row.data,
  };
}

/** Who a call to the session object is made for: the session, and the org the caller acts in. */
export interface SessionMeta {
  sessionId: string;
  orgId: string;
}
