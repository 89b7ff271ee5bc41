import { type EventFilter, eventFilter, type SessionMeta } from "./events";
import { CLIENT_PROTOCOL, type Cursor, type Refusal, type SubscriberMode } from "./rpc";
import type { StreamCredential } from "./stream-credential";

/**
 * How a subscription travels from the Worker to the session object: a WebSocket upgrade request
 * whose query says what the subscriber wants. Both ends use this file: the Worker's session client
 * encodes (`subscriptionRequest`), the object decodes (`readSubscription`) and answers a refusal
 * with `refuseSubscription`, whose JSON body the client maps like an RPC refusal.
 */

/** A subscription as the Worker asks for it (the route has authenticated the caller). */
export interface Subscription {
  meta: SessionMeta;
  cursor: Cursor | null;
  mode: SubscriberMode;
  /** Whose streams it counts against: the user, whichever key or token they use. */
  caller: string;
  /** Filter names as the client sent them (ours or upstream aliases). */
  types?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
  /** The subprotocols the client offered (`Sec-WebSocket-Protocol`), passed on as sent. */
  protocols?: string | undefined;
  /** The credential that opens it: the object ends the stream when it expires or loses access. */
  credential: StreamCredential;
  /** A relay's shared feed in its Worker isolate (`STREAM.feed` in rpc.ts); without one it gets its own live frames. */
  feed?: string | undefined;
}

/** A subscription as the object reads it: the filter resolved, and the subprotocol to answer with (or null). */
export interface SubscriptionRequest {
  meta: SessionMeta;
  cursor: Cursor | null;
  mode: SubscriberMode;
  caller: string;
  filter: EventFilter;
  protocol: string | null;
  credential: StreamCredential;
  feed: string | null;
}

const URL_BASE = "https://session.internal/subscribe";

/** The upgrade request that asks the object for a subscriber socket. */
export function subscriptionRequest(sub: Subscription): Request {
  const params = new URLSearchParams({ session_id: sub.meta.sessionId, org_id: sub.meta.orgId, mode: sub.mode, caller: sub.caller });
  const { cursor } = sub;
  if (cursor && "id" in cursor) params.set("cursor", cursor.id);
  if (cursor && "sequence" in cursor) params.set("after_sequence", String(cursor.sequence));
  if (cursor) params.set("cursor_path", cursor.path);
  for (const t of sub.types ?? []) params.append("types", t);
  for (const t of sub.exclude ?? []) params.append("exclude", t);
  params.set("user_id", sub.credential.userId);
  if (sub.credential.apiKeyId !== null) params.set("key_id", sub.credential.apiKeyId);
  if (sub.credential.expiresAt !== null) params.set("expires_at", String(sub.credential.expiresAt));
  if (sub.feed) params.set("feed", sub.feed);
  const headers = new Headers({ upgrade: "websocket" });
  if (sub.protocols) headers.set("sec-websocket-protocol", sub.protocols);
  return new Request(`${URL_BASE}?${params}`, { headers });
}

/** Reads a subscription from the object's upgrade request (made by `subscriptionRequest`). */
export function readSubscription(request: Request): SubscriptionRequest {
  const params = new URL(request.url).searchParams;
  const id = params.get("cursor");
  const afterSequence = params.get("after_sequence");
  const path = params.get("cursor_path") ?? "query.since_id";
  const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
  return {
    meta: { sessionId: params.get("session_id") ?? "", orgId: params.get("org_id") ?? "" },
    cursor: id !== null ? { id, path } : afterSequence !== null ? { sequence: Number(afterSequence), path } : null,
    mode: params.get("mode") === "client" ? "client" : "relay",
    caller: params.get("caller") ?? "",
    filter: eventFilter(params.getAll("types"), params.getAll("exclude")),
    protocol: offered.includes(CLIENT_PROTOCOL) ? CLIENT_PROTOCOL : null,
    credential: {
      userId: params.get("user_id") ?? "",
      apiKeyId: params.get("key_id") || null,
      expiresAt: params.get("expires_at") ? Number(params.get("expires_at")) : null,
    },
    feed: params.get("feed") || null,
  };
}

/** The refusal of a session that does not exist, is deleted, or is another org's. */
export const NOT_FOUND = { refused: "session_not_found" } as const;

/** The refusal of a cursor this session never handed out, naming where the client sent it. */
export function invalidCursor(cursor: Cursor | null): { refused: "invalid_cursor"; path: string } {
  return { refused: "invalid_cursor", path: cursor?.path ?? "query.since_id" };
}

const REFUSAL_STATUS: Partial<Record<Refusal["refused"], number>> = {
  session_not_found: 404,
  invalid_cursor: 400,
  too_many_streams: 429,
  unauthorized: 401,
};

/** The object's answer to an upgrade it refuses: the refusal as JSON, with a status that says the same. */
export function refuseSubscription(refusal: Refusal): Response {
  return Response.json(refusal, { status: REFUSAL_STATUS[refusal.refused] ?? 400 });
}

/** The object's answer to an SSE stream that should go through the session's shared relay (it has many SSE streams). */
const SHARED_RELAY = { shared_relay: true } as const;

export function useSharedRelay(): Response {
  return Response.json(SHARED_RELAY, { status: 409 });
}

export function isSharedRelayAnswer(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { shared_relay?: unknown }).shared_relay === true;
}
