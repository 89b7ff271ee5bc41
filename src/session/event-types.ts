/** The event types of spec §5. `message.delta` is ephemeral: streamed live, never stored. */
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

export interface EventContext {
  turn_id: string | null;
  input_message_id: string | null;
}

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

export const NO_CONTEXT: EventContext = { turn_id: null, input_message_id: null };
