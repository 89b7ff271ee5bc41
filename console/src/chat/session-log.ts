import type { EventEnvelope } from "../api/types";

/** The stored event types the console understands (spec §5); anything else is ignored. */
export const STORED_TYPES = new Set([
  "message.created",
  "tool.call",
  "tool.result",
  "tool.approval_requested",
  "tool.approval_decided",
  "turn.started",
  "turn.completed",
  "turn.failed",
  "turn.cancelled",
  "session.completed",
]);

export const TERMINAL_TYPES = new Set(["turn.completed", "turn.failed", "turn.cancelled"]);

/** A reply being streamed: the text is always the delta's `accumulated`, never an append. */
interface StreamingReply {
  messageId: string;
  turnId: string | null;
  text: string;
}

/**
 * What the console knows of one session: its stored events (in sequence order, each once), the
 * replies streaming now, and when each reply's first text arrived (for the timeline).
 */
export interface SessionLog {
  events: EventEnvelope[];
  lastSequence: number;
  streaming: Record<string, StreamingReply>;
  firstTokenAt: Record<string, string>;
  /** Stored events above this sequence arrived on the live stream, not from history. */
  liveAfter: number;
}

export const EMPTY_LOG: SessionLog = { events: [], lastSequence: 0, streaming: {}, firstTokenAt: {}, liveAfter: Number.MAX_SAFE_INTEGER };

/** The id to resume after (`since_id`, `Last-Event-ID`): the last stored event's. */
export function lastEventId(log: SessionLog): string | null {
  return log.events.at(-1)?.id ?? null;
}

/** Adds stored events; those at or below the last sequence (already here) are dropped. */
export function applyStored(log: SessionLog, incoming: EventEnvelope[]): SessionLog {
  const fresh = incoming.filter((e) => STORED_TYPES.has(e.type)).sort((a, b) => a.sequence - b.sequence);
  let { lastSequence, streaming } = log;
  const events = [...log.events];
  for (const event of fresh) {
    if (event.sequence <= lastSequence) continue;
    events.push(event);
    lastSequence = event.sequence;
    const messageId = createdAgentMessageId(event);
    // The stored message replaces its streamed text.
    if (messageId !== null && messageId in streaming) {
      streaming = { ...streaming };
      delete streaming[messageId];
    }
  }
  return events.length === log.events.length ? log : { ...log, events, lastSequence, streaming };
}

/**
 * Applies a `message.delta`. The reply's text becomes the delta's `accumulated` (so a repeated or
 * resumed delta can never duplicate text); a delta older than what is stored, or for a reply that
 * is already stored, is dropped.
 */
export function applyDelta(log: SessionLog, delta: EventEnvelope): SessionLog {
  const messageId = delta.data.message_id;
  const accumulated = delta.data.accumulated;
  if (typeof messageId !== "string" || typeof accumulated !== "string") return log;
  if (delta.sequence < log.lastSequence || log.events.some((e) => createdAgentMessageId(e) === messageId)) return log;
  const known = log.streaming[messageId];
  const streaming = { ...log.streaming, [messageId]: { messageId, turnId: delta.context.turn_id, text: accumulated } };
  // A first delta is the reply's first token only if the event it follows came live: after a
  // reconnect the server's first delta holds the whole reply so far, and its time says nothing.
  const firstSeenLive = known === undefined && !(messageId in log.firstTokenAt) && delta.sequence > log.liveAfter;
  const firstTokenAt = firstSeenLive ? { ...log.firstTokenAt, [messageId]: delta.ts } : log.firstTokenAt;
  return { ...log, streaming, firstTokenAt };
}

/** Marks the start of a live stream: what is stored up to now came from history. */
export function markLive(log: SessionLog): SessionLog {
  return { ...log, liveAfter: log.lastSequence };
}

function createdAgentMessageId(event: EventEnvelope): string | null {
  if (event.type !== "message.created") return null;
  const message = event.data.message;
  if (typeof message !== "object" || message === null) return null;
  const { id, role } = message as { id?: unknown; role?: unknown };
  return role === "agent" && typeof id === "string" ? id : null;
}
