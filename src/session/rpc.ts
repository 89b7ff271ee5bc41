import type { Env } from "../env";
import type { Message } from "../schemas/messages";
import type { Session, SessionFields } from "../schemas/sessions";
import type { EventEnvelope } from "./events";

/**
 * What code outside `session/` may know of the session object: how to reach it, and the shapes
 * of its RPC calls. Everything else in this folder is the object's own business.
 */
export { EVENT_ALIASES, EVENT_TYPES, isEventType, matcherFor, TERMINAL_TYPES, type EventEnvelope, type EventType, type SessionMeta } from "./events";

/** The Durable Object of a session: one per session id, found by name. */
export function sessionStub(env: Pick<Env, "SESSIONS">, sessionId: string) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(sessionId));
}

/** What creating a session stores in its object: a stored session's fields the creator chooses. */
export type SessionInit = { sessionId: string } & Pick<
  SessionFields,
  "orgId" | "agentId" | "title" | "tags" | "modelId" | "locale" | "capabilities" | "tools" | "parallelToolCalls"
>;

export interface PostMessageInput {
  content: Message["content"];
  controls: Message["controls"];
  metadata: Record<string, unknown> | null;
}

/** A posted message, and whether it was stored by an earlier request with the same Idempotency-Key. */
export interface PostedMessage {
  message: Message;
  replayed: boolean;
}

/** Where a read of the event log starts: after an event id the session handed out, or after a sequence. */
export type Cursor = { id: string; path: string } | { sequence: number; path: string };

export interface EventListQuery {
  cursor: Cursor | null;
  beforeSequence?: number | undefined;
  turnId?: string | undefined;
  newestFirst?: boolean | undefined;
  limit: number;
  types?: string[] | undefined;
  exclude?: string[] | undefined;
}

/** Why the object refused a call: the route turns it into the catalogue's error. */
export type Refusal =
  | { refused: "session_not_found" }
  | { refused: "invalid_cursor"; path: string }
  | { refused: "not_waiting_for_tool_results" }
  | { refused: "unknown_tool_call"; indexes: number[] }
  | { refused: "tool_call_already_answered"; indexes: number[] }
  | { refused: "idempotency_key_reused" };

export type { ToolResultInput } from "./client-tools";
/** The class, for the binding's type (env.ts); the Worker entry exports the class itself. */
export type { SessionObject } from "./session-object";

export type Refusable<T> = T | Refusal;

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === "object" && value !== null && "refused" in value;
}

export interface Page<T> {
  data: T[];
  total: number;
  offset: number;
  limit: number;
}

export type { Message, Session, EventEnvelope as Event };

/**
 * The stream between the session object and a subscriber's WebSocket (a hibernatable socket the
 * object accepts). A relay (the Worker terminating a client's SSE) receives binary messages: one
 * byte saying what follows, then SSE text as UTF-8, encoded once by the object for every relay
 * that wants the same events, so the relay only forwards bytes. `page` is replay it must ask more
 * of with `pull` once it has room, `live` is live events. `probe` (text) asks the relay to write
 * to its client now, so a client that vanished is noticed and its slot freed. A client socket
 * (`GET …/ws`) receives one envelope per text frame.
 */
export const STREAM = { page: 0x52, live: 0x4c, pull: "pull", probe: "probe" } as const;

/** Close codes the object uses (4000–4999 are the application's). */
export const CLOSE_CODES = { sessionDeleted: 4404, slowConsumer: 4008, sendFailed: 1011 } as const;

/** The subprotocol a client's WebSocket is answered with when it offered it (it may carry its credential in another, `bearer.<token>`). */
export const CLIENT_PROTOCOL = "everruns.v1";

/** Which end a subscriber is: the Worker's SSE relay, or a client's own WebSocket. */
export type SubscriberMode = "relay" | "client";
