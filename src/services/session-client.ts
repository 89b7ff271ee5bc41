import type { BookmarkNotes } from "../db/bookmarks";
import type { Caller, Env, IdempotencyRequest, Principal } from "../env";
import { ApiError } from "../lib/errors";
import {
  type ApprovalDecisionInput,
  type EventEnvelope,
  type EventListQuery,
  isRefusal,
  type Message,
  type Page,
  type PostedMessage,
  type PostMessageInput,
  type Refusal,
  type Session,
  type SessionInit,
  type SessionMeta,
  type ToolResultInput,
} from "../session/rpc";
import { isSharedRelayAnswer, type Subscription, subscriptionRequest } from "../session/subscription";

/**
 * The Durable Object of a session: one per session id, found by name. Only this file (and tests
 * that reach an object directly) calls it.
 */
export function sessionStub(env: Pick<Env, "SESSIONS">, sessionId: string) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(sessionId));
}

/** How long a caller refused for too many streams is told to wait. */
const STREAMS_RETRY_AFTER_SECONDS = 5;

/** The catalogue error a refusal of the session object stands for (an RPC answer or a refused upgrade). */
export function refusalError(refusal: Refusal): ApiError {
  switch (refusal.refused) {
    case "invalid_cursor":
      return new ApiError("invalid_cursor", {
        errors: [{ path: refusal.path, message: "Not an event id or sequence this session handed out" }],
      });
    case "not_waiting_for_tool_results":
      return new ApiError("not_waiting_for_tool_results", {
        detail: "The session is not waiting for tool results: no client-side tool call is pending",
      });
    case "unknown_tool_call":
      return new ApiError("unknown_tool_call", {
        errors: refusal.indexes.map((i) => ({
          path: `body.tool_results.${i}.tool_call_id`,
          message: "Not a pending tool call of this session",
        })),
      });
    case "tool_call_already_answered":
      return new ApiError("tool_call_already_answered", {
        errors: refusal.indexes.map((i) => ({ path: `body.tool_results.${i}.tool_call_id`, message: "Already answered" })),
      });
    case "unknown_approval":
      return new ApiError("unknown_tool_call", {
        detail: "No call of this session waited for approval with this id",
        errors: refusal.indexes.map((i) => ({
          path: `body.decisions.${i}.tool_call_id`,
          message: "Not a call that waited for approval in this session",
        })),
      });
    case "tool_call_already_decided":
      return new ApiError("tool_call_already_decided", {
        errors: refusal.indexes.map((i) => ({ path: `body.decisions.${i}.tool_call_id`, message: "Already decided" })),
      });
    case "idempotency_key_reused":
      return new ApiError("idempotency_key_reused", {
        errors: [{ path: "header.idempotency-key", message: "Already used with a different request" }],
      });
    case "too_many_streams":
      return new ApiError("too_many_streams", { retryAfterSeconds: STREAMS_RETRY_AFTER_SECONDS });
    case "session_not_found":
      return new ApiError("session_not_found");
    case "unauthorized":
      return new ApiError("unauthorized");
  }
}

/** The value of an answer, or the catalogue error its refusal stands for. */
function answered<T>(result: T): Exclude<T, Refusal> {
  if (isRefusal(result)) throw refusalError(result);
  return result as Exclude<T, Refusal>;
}

/** What the client reads of a request: the bindings, who calls in which org, when it arrived and its Idempotency-Key. */
export interface SessionRequest {
  env: Pick<Env, "SESSIONS" | "SSE_RELAYS">;
  var: { caller: Caller; principal: Principal; receivedAt: number; idempotency?: IdempotencyRequest | undefined; d1: BookmarkNotes };
}

/** What a subscriber asks for; the client adds the session, the org, the caller and its credential. */
export type SubscribeInput = Omit<Subscription, "meta" | "caller" | "credential">;

/**
 * The Worker's one way to talk to a session object. It fills in what the object needs to know of
 * the caller (the session and org for every call, the caller for a subscription, the arrival time
 * for a cancel, the Idempotency-Key for a post), and turns every refusal, whether an RPC answer or
 * a refused upgrade, into the catalogue's error, so a route only says what it wants.
 */
export class SessionClient {
  readonly #request: SessionRequest;
  readonly #meta: SessionMeta;

  constructor(request: SessionRequest, sessionId: string) {
    this.#request = request;
    this.#meta = { sessionId, orgId: request.var.principal.orgId };
  }

  /**
   * Creates a session's object and its row in the D1 index; null when the id already names a
   * session. The index write's bookmark goes to `bookmarks`, so the creator's next list (sent
   * with it) shows the session even from a replica.
   */
  static async create(env: Pick<Env, "SESSIONS">, bookmarks: BookmarkNotes, input: SessionInit): Promise<Session | null> {
    const stub = sessionStub(env, input.sessionId);
    const session = (await stub.init(input)) as Session | null;
    bookmarks.note(await stub.indexBookmark());
    return session;
  }

  get #stub() {
    return sessionStub(this.#request.env, this.#meta.sessionId);
  }

  async view(): Promise<Session> {
    return answered(await this.#stub.view(this.#meta)) as Session;
  }

  /** Changes the title or tags; the index write's bookmark goes with the answer (x-d1-bookmark). */
  async update(input: { title?: string | null | undefined; tags?: string[] | undefined }): Promise<Session> {
    const session = answered(await this.#stub.update(this.#meta, input)) as Session;
    await this.#noteIndexWrite();
    return session;
  }

  /** Deletes the session: the object stops its turn, closes its streams, removes its index row and wipes its storage. */
  async destroy(): Promise<void> {
    answered(await this.#stub.destroy(this.#meta));
    await this.#noteIndexWrite();
  }

  /** Keeps the bookmark of the object's last index write, so the caller's next read from a replica sees it. */
  async #noteIndexWrite(): Promise<void> {
    this.#request.var.d1.note(await this.#stub.indexBookmark());
  }

  /** Posts a user message, with the request's Idempotency-Key when it has one. */
  async postMessage(input: PostMessageInput): Promise<PostedMessage> {
    // The RPC stub's types turn a Message (which holds `unknown` JSON) into never: typed here.
    return answered(await this.#stub.postMessage(this.#meta, input, this.#request.var.idempotency)) as PostedMessage;
  }

  /** Cancels the named turn, or (unnamed) the one running when the cancel reaches the session, as turn-cancel.ts decides. */
  async cancel(turnId: string | undefined): Promise<{ status: "cancelled" | "no_op" }> {
    return answered(await this.#stub.cancel(this.#meta, { turnId }));
  }

  async submitToolResults(results: ToolResultInput[]): Promise<{ accepted: number; status: Session["status"] }> {
    return answered(await this.#stub.submitToolResults(this.#meta, results));
  }

  /** A person's decisions on calls waiting for approval, decided by the caller (its API key, else its user). */
  async decideToolApprovals(decisions: ApprovalDecisionInput[]): Promise<{ accepted: number; status: Session["status"] }> {
    const { caller } = this.#request.var;
    return answered(await this.#stub.decideToolApprovals(this.#meta, decisions, caller.apiKeyId ?? caller.userId));
  }

  async listMessages(page: { offset: number; limit: number }): Promise<Page<Message>> {
    return answered(await this.#stub.listMessages(this.#meta, page)) as Page<Message>;
  }

  async listEvents(query: EventListQuery): Promise<EventEnvelope[]> {
    return answered(await this.#stub.listEvents(this.#meta, query)) as EventEnvelope[];
  }

  /**
   * Asks the object for a subscriber socket (`mode`: the Worker's SSE relay, or the client's own
   * WebSocket). The object checks the session's org, resolves the cursor and counts its caps; a
   * refusal becomes the usual problem+json here, before any stream or upgrade.
   */
  async subscribe(input: SubscribeInput): Promise<Response & { webSocket: WebSocket }> {
    const socket = await this.#subscribe(input);
    if (!socket) throw new Error("session object sent a subscriber to the shared relay");
    return socket;
  }

  /** An SSE relay's socket, or null when the object sends the stream to the session's shared relay (`openSse`). */
  async subscribeSse(input: Omit<SubscribeInput, "mode">): Promise<WebSocket | null> {
    return (await this.#subscribe({ ...input, mode: "relay" }))?.webSocket ?? null;
  }

  async #subscribe(input: SubscribeInput): Promise<(Response & { webSocket: WebSocket }) | null> {
    const { caller } = this.#request.var;
    const credential = { userId: caller.userId, apiKeyId: caller.apiKeyId, expiresAt: caller.expiresAt };
    // Streams count per user, whichever of their keys or tokens opened them: keys cannot multiply a cap.
    const res = await this.#stub.fetch(subscriptionRequest({ ...input, meta: this.#meta, caller: caller.userId, credential }));
    // A new response, so the middleware can add its headers (X-Request-ID) to the upgrade too.
    if (res.status === 101 && res.webSocket)
      return new Response(null, { status: 101, webSocket: res.webSocket, headers: res.headers }) as Response & { webSocket: WebSocket };
    const body: unknown = await res.json().catch(() => null);
    if (isSharedRelayAnswer(body)) return null;
    if (isRefusal(body)) throw refusalError(body);
    throw new Error(`session object answered a subscription with ${res.status}`);
  }

  /**
   * An SSE stream's body from the session's shared relay object in `location` (the request's
   * colo): it subscribes to the object for the stream and relays it. A refusal becomes the usual
   * problem+json here, before any stream.
   */
  async openSse(input: Omit<SubscribeInput, "mode" | "protocols" | "feed">, location: string): Promise<ReadableStream<Uint8Array>> {
    const { caller } = this.#request.var;
    const credential = { userId: caller.userId, apiKeyId: caller.apiKeyId, expiresAt: caller.expiresAt };
    const subscription = subscriptionRequest({ ...input, mode: "relay", meta: this.#meta, caller: caller.userId, credential });
    const relays = this.#request.env.SSE_RELAYS;
    const relay = relays.get(relays.idFromName(`${this.#meta.sessionId}/${location}`));
    const res = await relay.fetch(subscription.url);
    if (res.status === 200 && res.body) return res.body;
    const body: unknown = await res.json().catch(() => null);
    if (isRefusal(body)) throw refusalError(body);
    throw new Error(`the SSE relay answered a subscription with ${res.status}`);
  }
}

/** The session client for a request that acts in an org. */
export function sessionClient(request: SessionRequest, sessionId: string): SessionClient {
  return new SessionClient(request, sessionId);
}
