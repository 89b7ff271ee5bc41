import type { Message } from "../schemas/messages";
import type { Session, SessionFields } from "../schemas/sessions";
import type { EventEnvelope, SessionMeta } from "./events";

/**
 * The session object's contract: what code outside `session/` may know of it. The shapes of its
 * RPC calls and their refusals, the stream between it and a subscriber, and (subscription.ts) how
 * a subscription travels in an upgrade request. The Worker reaches the object only through
 * services/session-client.ts; everything else in this folder is the object's own business.
 */
export { EVENT_ALIASES, EVENT_TYPES, type EventEnvelope, matcherFor, type SessionMeta, TERMINAL_TYPES } from "./events";

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

/** One result a client posts for a call of one of its tools. */
export interface ToolResultInput {
  tool_call_id: string;
  result?: unknown;
  error?: string | null;
}

/** Why tool results were refused, with the indexes of the results at fault. */
export type ToolResultsRefusal =
  | { refused: "not_waiting_for_tool_results" }
  | { refused: "unknown_tool_call"; indexes: number[] }
  | { refused: "tool_call_already_answered"; indexes: number[] };

/** One decision on a call waiting for approval, as `POST …/tool-approvals` sends it. */
export interface ApprovalDecisionInput {
  tool_call_id: string;
  decision: "allow" | "allow_always" | "reject" | "reject_always";
  reason?: string | null | undefined;
}

/** Why approval decisions were refused, with the indexes of the decisions at fault. */
export type ApprovalRefusal =
  | { refused: "unknown_approval"; indexes: number[] }
  | { refused: "tool_call_already_decided"; indexes: number[] };

/** An Idempotency-Key of a posted message, with who sent it and a hash of the request. */
export interface MessageIdempotency {
  key: string;
  caller: string;
  requestHash: string;
}

/** Which turn a cancel means: the one it names, or (unnamed) as the object decides by its own clock (session/turn-cancel.ts). */
export interface CancelTarget {
  turnId?: string | undefined;
}

/**
 * Why the object refused a call (an RPC answer) or a subscription (the JSON body of a non-101
 * answer to the upgrade): services/session-client.ts turns either into the catalogue's error.
 */
export type Refusal =
  | { refused: "session_not_found" }
  | { refused: "invalid_cursor"; path: string }
  | ToolResultsRefusal
  | ApprovalRefusal
  | { refused: "idempotency_key_reused" }
  | { refused: "too_many_streams"; cap: "session" | "caller" }
  /** A subscription whose credential the object found expired, revoked or without access to the org. */
  | { refused: "unauthorized" };

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

export type { Message, Session };

/**
 * The object's RPC surface, as the Worker sees it through the binding (env.ts): SessionObject
 * implements it. `fetch` takes a subscription's upgrade request (subscription.ts).
 */
export interface SessionRpc extends Rpc.DurableObjectBranded {
  init(input: SessionInit): Promise<Session | null>;
  view(meta: SessionMeta): Promise<Refusable<Session>>;
  update(meta: SessionMeta, input: { title?: string | null | undefined; tags?: string[] | undefined }): Promise<Refusable<Session>>;
  destroy(meta: SessionMeta): Promise<Refusable<{ deleted: true }>>;
  postMessage(meta: SessionMeta, input: PostMessageInput, idempotency?: MessageIdempotency): Promise<Refusable<PostedMessage>>;
  cancel(meta: SessionMeta, target: CancelTarget): Promise<Refusable<{ status: "cancelled" | "no_op" }>>;
  submitToolResults(meta: SessionMeta, results: ToolResultInput[]): Promise<Refusable<{ accepted: number; status: Session["status"] }>>;
  decideToolApprovals(
    meta: SessionMeta,
    decisions: ApprovalDecisionInput[],
    decidedBy: string,
  ): Promise<Refusable<{ accepted: number; status: Session["status"] }>>;
  listMessages(meta: SessionMeta, page: { offset: number; limit: number }): Promise<Refusable<Page<Message>>>;
  listEvents(meta: SessionMeta, query: EventListQuery): Promise<Refusable<EventEnvelope[]>>;
  /** The D1 bookmark of the session's last index write (null before one). */
  indexBookmark(): Promise<string | null>;
  fetch(request: Request): Promise<Response>;
}

/**
 * The stream between the session object and a subscriber's WebSocket (a hibernatable socket the
 * object accepts). A relay (the Worker terminating a client's SSE) receives binary messages: one
 * byte saying what follows, then SSE text as UTF-8, encoded once by the object for every relay
 * that wants the same events, so the relay only forwards bytes. `page` is replay it must ask more
 * of with `pull` once it has room, `live` is live events. `probe` (text) asks the relay to write
 * to its client now, so a client that vanished is noticed and its slot freed. A client socket
 * (`GET …/ws`) receives one envelope per text frame.
 *
 * The SSE relays of one Worker isolate share their live events (a feed, named by the Worker): a
 * relay of a feed gets, as its last replay page, `joined`: a JSON line `{"e":…,"n":…,"k":…}`
 * (the object's epoch, the number of the feed's last frame, the relay's filter key), then SSE
 * text. From then on its live events come in `feed` frames, each sent once per feed on one of the
 * feed's relay sockets (the carrier, chosen by the object): a JSON line `{"e":…,"n":…,"l":[…],"g":{…}}`
 * (epoch, frame number, each event's byte length, and per filter key the events it wants), then the
 * events' SSE text, each once. The Worker hands each relay of the feed its events, in frame order.
 */
export const STREAM = { page: 0x52, live: 0x4c, joined: 0x4a, feed: 0x46, pull: "pull", probe: "probe" } as const;

/**
 * Close codes the object uses (4000–4999 are the application's). `reauthenticate`: the credential
 * that opened the stream expired, was revoked or lost access; authenticate again, then resume.
 */
export const CLOSE_CODES = { sessionDeleted: 4404, slowConsumer: 4008, sendFailed: 1011, reauthenticate: 4401 } as const;

/** The subprotocol a client's WebSocket is answered with when it offered it (it may carry its credential in another, `bearer.<token>`). */
export const CLIENT_PROTOCOL = "everruns.v1";

/** Which end a subscriber is: the Worker's SSE relay, or a client's own WebSocket. */
export type SubscriberMode = "relay" | "client";
