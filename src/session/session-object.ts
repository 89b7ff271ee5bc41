import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { nowIso } from "../lib/time";
import type { Message } from "../schemas/messages";
import { type Session, toSession } from "../schemas/sessions";
import { isProvisioned, migrateSessionDb, openSessionDb, type SessionDb } from "./db/client";
import { eventListPage } from "./event-list";
import { type EventEnvelope, NO_CONTEXT, type SessionMeta } from "./events";
import { messagePage, storeMessages } from "./message-store";
import { type Opened, openSession } from "./open-session";
import type {
  ApprovalDecisionInput,
  CancelTarget,
  EventListQuery,
  MessageIdempotency,
  Page,
  PostedMessage,
  PostMessageInput,
  Refusable,
  SessionInit,
  SessionRpc,
  ToolResultInput,
} from "./rpc";
import { INDEX_RETRY_MS, setSessionAlarm } from "./session-alarm";
import { SessionIndex } from "./session-index";
import { type SessionRecord, SessionRecords } from "./session-record";
import { Subscribers } from "./subscribers";
import { NOT_FOUND } from "./subscription";
import { WebhookEvents } from "./webhook-events";

/**
 * One per session: it owns the session's data in its own SQLite storage (record, event log,
 * messages, queue, turn state), runs its turns one at a time, fans its events out, and keeps
 * the session's row in the D1 index in step. This class is the RPC surface; the work is done by
 * its collaborators (EventLog, InputQueue, TurnController, Subscribers and their Fanout, SessionIndex).
 */
export class SessionObject extends DurableObject<Env> implements SessionRpc {
  readonly #db: SessionDb;
  readonly #records: SessionRecords;
  #index: SessionIndex | null = null;
  #opened: Opened | null = null;
  readonly #subscribers: Subscribers;
  #webhooks: WebhookEvents | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#db = openSessionDb(ctx.storage);
    this.#records = new SessionRecords(this.#db);
    this.#subscribers = new Subscribers(ctx, env);
    // A client's "ping" is answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    // Nothing is created for an id that was never a session: storage is set up only by init().
    void ctx.blockConcurrencyWhile(async () => {
      if (!isProvisioned(this.#db)) return;
      await migrateSessionDb(this.#db);
      const record = this.#records.get();
      // An unfinished delete is finished by the alarm, not here: nothing waits on D1 while the object starts.
      if (record?.deletedAt) await ctx.storage.setAlarm(Date.now());
      else if (record) this.#open(record).turns.recover();
    });
  }

  /** Creates the session: its record here first (the source of truth), then its row in the D1 index. */
  async init(input: SessionInit): Promise<Session | null> {
    if (this.#opened || isProvisioned(this.#db)) return null;
    let record: SessionRecord;
    try {
      await migrateSessionDb(this.#db);
      const { sessionId, ...fields } = input;
      record = this.#records.create({ id: sessionId, ...fields, createdAt: nowIso() });
    } catch (err) {
      // Nothing is left half-made: the creator gets a 500 and the id names nothing.
      await this.ctx.storage.deleteAll();
      throw err;
    }
    this.#open(record);
    // Awaited so the creator's next list shows the session; if D1 fails, the alarm catches up.
    await this.#syncIndex();
    return toSession(record);
  }

  /** The D1 bookmark of this session's last index write, so a caller's next read from a replica sees it (null before one). */
  async indexBookmark(): Promise<string | null> {
    return this.#index?.bookmark ?? null;
  }

  async view(meta: SessionMeta): Promise<Refusable<Session>> {
    const record = this.#owned(meta)?.record;
    return record ? toSession(this.#records.get() ?? record) : NOT_FOUND;
  }

  /** Sets the title or tags (only those sent); the index is written before answering. */
  async update(meta: SessionMeta, input: { title?: string | null | undefined; tags?: string[] | undefined }): Promise<Refusable<Session>> {
    if (!this.#owned(meta)) return NOT_FOUND;
    const record = this.#records.change(meta.sessionId, {
      ...(input.title !== undefined ? { title: input.title } : {}),
      ...(input.tags !== undefined ? { tags: input.tags } : {}),
      updatedAt: nowIso(),
    });
    await this.#syncIndex();
    return toSession(record);
  }

  /**
   * Deletes the session. The tombstone written first is the commit point: from then on every call
   * answers "not found". Then the turn is stopped, streams closed, the index row removed and the
   * storage wiped. If the index row cannot be removed now, the alarm finishes the delete later.
   * A second delete (also one racing the first) finds the tombstone: not found.
   */
  async destroy(meta: SessionMeta): Promise<Refusable<{ deleted: true }>> {
    const opened = this.#owned(meta);
    if (!opened) return NOT_FOUND;
    this.#records.tombstone(meta.sessionId, nowIso());
    this.#opened = null;
    this.#webhooks?.deleted();
    await opened.turns.stopForDelete();
    this.#subscribers.fanout.closeAll();
    await this.#finishDelete(this.#indexOf(meta.sessionId));
    return { deleted: true };
  }

  /**
   * Stores a user message with its `message.created` event, then starts a turn or queues it.
   * With an Idempotency-Key, a post the session already took (same key, same request, within
   * 24 hours) answers with the stored message and runs no second turn; the key sent with another
   * request is refused.
   */
  async postMessage(meta: SessionMeta, input: PostMessageInput, idempotency?: MessageIdempotency): Promise<Refusable<PostedMessage>> {
    const opened = this.#owned(meta);
    if (!opened) return NOT_FOUND;
    const earlier = idempotency ? opened.idempotent.find(idempotency, meta.sessionId) : null;
    if (earlier === "reused") return { refused: "idempotency_key_reused" };
    if (earlier) return { message: earlier, replayed: true };
    const [message] = storeMessages(
      this.#db,
      opened.log,
      meta.sessionId,
      NO_CONTEXT,
      [{ role: "user", content: input.content, controls: input.controls, metadata: input.metadata }],
      ([created]) => {
        if (idempotency && created) opened.idempotent.remember(idempotency, (created.data["message"] as Message).id);
      },
    );
    if (!message) throw new Error("message was not stored");
    opened.turns.accept({ messageId: message.id, modelId: input.controls?.model_id ?? null });
    return { message, replayed: false };
  }

  /** Cancels the turn the caller means (named, or running when the request arrived); queued messages still run. */
  async cancel(meta: SessionMeta, target: CancelTarget): Promise<Refusable<{ status: "cancelled" | "no_op" }>> {
    const opened = this.#owned(meta);
    if (!opened) return NOT_FOUND;
    const status = await opened.turns.cancel(target);
    // Deleted while the cancel waited for the turn to end: gone, as for any request after a delete.
    return this.#opened === opened ? { status } : NOT_FOUND;
  }

  /** Results of client-side tool calls the running turn waits on: `{accepted, status}`, or why they were refused. */
  async submitToolResults(
    meta: SessionMeta,
    results: ToolResultInput[],
  ): Promise<Refusable<{ accepted: number; status: Session["status"] }>> {
    const opened = this.#owned(meta);
    if (!opened) return NOT_FOUND;
    const outcome = opened.turns.submitToolResults(results);
    if ("refused" in outcome) return outcome;
    return { accepted: outcome.accepted, status: this.#records.get()?.status ?? "active" };
  }

  /** A person's decisions on calls waiting for approval: `{accepted, status}`, or why they were refused. */
  async decideToolApprovals(
    meta: SessionMeta,
    decisions: ApprovalDecisionInput[],
    decidedBy: string,
  ): Promise<Refusable<{ accepted: number; status: Session["status"] }>> {
    const opened = this.#owned(meta);
    if (!opened) return NOT_FOUND;
    const outcome = opened.turns.decideApprovals(decisions, decidedBy);
    if ("refused" in outcome) return outcome;
    return { accepted: outcome.accepted, status: this.#records.get()?.status ?? "active" };
  }

  async listMessages(meta: SessionMeta, page: { offset: number; limit: number }): Promise<Refusable<Page<Message>>> {
    if (!this.#owned(meta)) return NOT_FOUND;
    return messagePage(this.#db, meta.sessionId, page);
  }

  /** Stored events for the JSON list; the cursor means the same as on the stream. */
  async listEvents(meta: SessionMeta, query: EventListQuery): Promise<Refusable<EventEnvelope[]>> {
    const opened = this.#owned(meta);
    if (!opened) return NOT_FOUND;
    return eventListPage(opened.log, query);
  }

  /**
   * A subscriber: a WebSocket upgrade, from the Worker relaying a client's SSE stream (`mode=relay`)
   * or from a client itself (`GET …/ws`, `mode=client`), admitted by Subscribers (subscribers.ts).
   */
  override async fetch(request: Request): Promise<Response> {
    const answer = await this.#subscribers.admit(request, (meta) => this.#owned(meta));
    if (answer.status === 101) await this.#rearm();
    return answer;
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (this.#opened) this.#subscribers.fanout.onMessage(ws, message, this.#opened.log);
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.#subscribers.fanout.onClose(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#subscribers.fanout.onClose(ws);
  }

  /** The watchdog of a running turn, and the retries of index writes and of an unfinished delete. */
  override async alarm(): Promise<void> {
    const record = isProvisioned(this.#db) ? this.#records.get() : null;
    if (!record) return;
    if (record.deletedAt) {
      await this.#finishDelete(this.#indexOf(record.id));
      return;
    }
    this.#opened?.turns.watchdog();
    await this.#subscribers.sweep(this.#opened);
    await this.#syncIndex();
  }

  /** The open session if it exists, is not deleted, and belongs to the caller's org; else null (not found). */
  #owned(meta: SessionMeta): Opened | null {
    const opened = this.#opened;
    if (!opened || opened.record.id !== meta.sessionId || opened.record.orgId !== meta.orgId) return null;
    return opened;
  }

  /** The session's row in the D1 index. */
  #indexOf(sessionId: string): SessionIndex {
    this.#index ??= new SessionIndex(this.env.DB, this.#records, sessionId);
    return this.#index;
  }

  #open(record: SessionRecord): Opened {
    this.#indexOf(record.id);
    const webhooks = new WebhookEvents(
      { queue: this.env.WEBHOOK_QUEUE, waitUntil: (p) => this.ctx.waitUntil(p), status: () => this.#records.get()?.status },
      record,
    );
    this.#webhooks = webhooks;
    this.#opened = openSession({
      env: this.env,
      storage: this.ctx.storage,
      db: this.#db,
      records: this.#records,
      record,
      deliver: (envelopes) => {
        this.#subscribers.fanout.broadcast(envelopes);
        webhooks.observe(envelopes);
      },
      settled: () => void this.#syncIndex(),
      rearm: () => void this.#rearm(),
    });
    return this.#opened;
  }

  /** Brings the index in step, then sets the alarm to what is left to do (a retry if the write failed, or nothing). */
  async #syncIndex(): Promise<void> {
    await this.#index?.sync();
    await this.#rearm();
  }

  /** Sets the alarm to what is left to do: the watchdog, an index retry, the streams' credential check (session-alarm.ts). */
  async #rearm(): Promise<void> {
    const now = Date.now();
    const deleting = isProvisioned(this.#db) && Boolean(this.#records.get()?.deletedAt);
    await setSessionAlarm(this.ctx.storage, deleting, [
      this.#opened?.turns.nextWatch(now) ?? null,
      this.#index?.behind ? now + INDEX_RETRY_MS : null,
      this.#subscribers.nextSweep(this.#opened, now),
    ]);
  }

  /** Removes the index row, then the object's storage; if the index refuses, the alarm tries again. */
  async #finishDelete(index: SessionIndex): Promise<void> {
    if (!(await index.remove())) {
      await this.ctx.storage.setAlarm(Date.now() + INDEX_RETRY_MS);
      return;
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}
