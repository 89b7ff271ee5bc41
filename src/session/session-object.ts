import { DurableObject } from "cloudflare:workers";
import { createDb } from "../db/client";
import type { Env } from "../env";
import { describeError, logLine } from "../lib/log";
import { nowIso } from "../lib/time";
import { toSession, type Session } from "../schemas/sessions";
import type { Message } from "../schemas/messages";
import { isProvisioned, migrateSessionDb, openSessionDb, type SessionDb } from "./db/client";
import { EventLog } from "./event-log";
import { streamSettings } from "../lib/stream-settings";
import { eventFilter, NO_CONTEXT, type EventEnvelope, type SessionMeta } from "./events";
import { Fanout, type ReplaySource } from "./fanout";
import { ClientToolCalls, type ToolResultInput } from "./client-tools";
import { IdempotentMessages, type MessageIdempotency } from "./idempotent-messages";
import { InputQueue } from "./input-queue";
import { messagePage, storeMessages } from "./message-store";
import type { CancelTarget } from "./turns";
import { CLIENT_PROTOCOL, type PostedMessage, type Cursor, type EventListQuery, type Page, type PostMessageInput, type Refusable, type SessionInit, type SubscriberMode } from "./rpc";
import { SessionIndex } from "./session-index";
import { SessionRecords, type SessionRecord } from "./session-record";
import { turnSettings } from "./settings";
import { TurnController } from "./turns";

/** How long after a failed index write the alarm tries again. */
const INDEX_RETRY_MS = 5_000;

/** The parts of an open session: its log, queue and turns over its own storage. */
interface Opened {
  record: SessionRecord;
  log: EventLog;
  queue: InputQueue;
  turns: TurnController;
  idempotent: IdempotentMessages;
}

const NOT_FOUND = { refused: "session_not_found" } as const;

/**
 * One per session: it owns the session's data in its own SQLite storage (record, event log,
 * messages, queue, turn state), runs its turns one at a time, fans its events out, and keeps
 * the session's row in the D1 index in step. This class is the RPC surface; the work is done by
 * its collaborators (EventLog, InputQueue, TurnController, Fanout, SessionIndex).
 */
export class SessionObject extends DurableObject<Env> {
  readonly #db: SessionDb;
  readonly #records: SessionRecords;
  readonly #index: SessionIndex;
  readonly #fanout: Fanout;
  #opened: Opened | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#db = openSessionDb(ctx.storage);
    this.#records = new SessionRecords(this.#db);
    this.#index = new SessionIndex(createDb(env.DB), this.#records);
    const streams = streamSettings(env);
    this.#fanout = new Fanout(ctx, { maxStreams: streams.maxStreams, maxPerCaller: streams.maxStreamsPerCaller, maxBufferedBytes: streams.maxBufferedBytes });
    // A client's "ping" is answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    // Nothing is created for an id that was never a session: storage is set up only by init().
    void ctx.blockConcurrencyWhile(async () => {
      if (!isProvisioned(this.#db)) return;
      await migrateSessionDb(this.#db);
      const record = this.#records.get();
      if (record?.deletedAt) await this.#finishDelete(record.id);
      else if (record) this.#open(record).turns.recover();
    });
  }

  /** Creates the session: its record here first (the source of truth), then its row in the D1 index. */
  async init(input: SessionInit): Promise<Session | null> {
    if (this.#opened || isProvisioned(this.#db)) return null;
    let record: SessionRecord;
    try {
      await migrateSessionDb(this.#db);
      record = this.#records.create({
        id: input.sessionId,
        orgId: input.orgId,
        agentId: input.agentId,
        title: input.title,
        tags: input.tags,
        modelId: input.modelId,
        locale: input.locale,
        capabilities: input.capabilities,
        tools: input.tools,
        parallelToolCalls: input.parallelToolCalls,
        createdAt: nowIso(),
      });
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
    await opened.turns.stopForDelete();
    this.#fanout.closeAll();
    await this.#finishDelete(meta.sessionId);
    return { deleted: true };
  }

  /** Stores a user message with its `message.created` event, then starts a turn or queues it. */
  /**
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
    return { status: await opened.turns.cancel(target) };
  }

  /** Results of client-side tool calls the running turn waits on: `{accepted, status}`, or why they were refused. */
  async submitToolResults(meta: SessionMeta, results: ToolResultInput[]): Promise<Refusable<{ accepted: number; status: Session["status"] }>> {
    const opened = this.#owned(meta);
    if (!opened) return NOT_FOUND;
    const outcome = opened.turns.submitToolResults(results);
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
    const after = this.#resolve(opened, query.cursor);
    if (typeof after !== "number") return after;
    return opened.log.page({ afterSequence: after, beforeSequence: query.beforeSequence, limit: query.limit, filter: eventFilter(query.types, query.exclude) });
  }

  /**
   * A subscriber: a WebSocket upgrade, from the Worker relaying a client's SSE stream (`mode=relay`)
   * or from a client itself (`GET …/ws`, `mode=client`). The object accepts it as hibernatable,
   * replays after the cursor, then sends live events. The route has authenticated the caller.
   */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const params = url.searchParams;
    const opened = this.#owned({ sessionId: params.get("session_id") ?? "", orgId: params.get("org_id") ?? "" });
    if (!opened) return Response.json(NOT_FOUND, { status: 404 });
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response(null, { status: 426 });
    const id = params.get("cursor");
    const afterSequence = params.get("after_sequence");
    const path = params.get("cursor_path") ?? "query.since_id";
    const cursor: Cursor | null = id !== null ? { id, path } : afterSequence !== null ? { sequence: Number(afterSequence), path } : null;
    const after = this.#resolve(opened, cursor);
    if (typeof after !== "number") return Response.json(after, { status: 400 });
    const caller = params.get("caller") ?? "";
    const cap = this.#fanout.overCap(caller);
    if (cap) return Response.json({ refused: "too_many_streams", cap }, { status: 429 });
    const mode: SubscriberMode = params.get("mode") === "client" ? "client" : "relay";
    const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
    const state = { mode, caller, filter: eventFilter(params.getAll("types"), params.getAll("exclude")), cursor: after, live: false };
    return this.#fanout.accept(this.#source(opened), state, offered.includes(CLIENT_PROTOCOL) ? CLIENT_PROTOCOL : null);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (this.#opened) this.#fanout.onMessage(ws, message, this.#source(this.#opened));
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.#fanout.onClose(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#fanout.onClose(ws);
  }

  /** The watchdog of a running turn, and the retries of index writes and of an unfinished delete. */
  override async alarm(): Promise<void> {
    const record = isProvisioned(this.#db) ? this.#records.get() : null;
    if (!record) return;
    if (record.deletedAt) {
      await this.#finishDelete(record.id);
      return;
    }
    this.#opened?.turns.watchdog();
    await this.#index.sync();
    await this.#rearm();
  }

  /** The open session if it exists, is not deleted, and belongs to the caller's org; else null (not found). */
  #owned(meta: SessionMeta): Opened | null {
    const opened = this.#opened;
    if (!opened || opened.record.id !== meta.sessionId || opened.record.orgId !== meta.orgId) return null;
    return opened;
  }

  #open(record: SessionRecord): Opened {
    const log = new EventLog(this.#db, this.ctx.storage, record.id, (envelopes) => this.#fanout.broadcast(envelopes));
    const queue = new InputQueue(this.#db);
    const clientTools = new ClientToolCalls(this.#db, this.#records, record.id);
    const turns = new TurnController({
      env: this.env,
      db: this.#db,
      d1: createDb(this.env.DB),
      log,
      queue,
      records: this.#records,
      clientTools,
      sessionId: record.id,
      orgId: record.orgId,
      agentId: record.agentId,
      settled: () => void this.#syncIndex(),
      rearm: () => void this.#rearm(),
    });
    this.#opened = { record, log, queue, turns, idempotent: new IdempotentMessages(this.#db) };
    return this.#opened;
  }

  /** Where replay reads: the object's own log. */
  #source(opened: Opened): ReplaySource {
    const log = opened.log;
    return {
      get head() {
        return log.head;
      },
      read: (after, upTo, limit) => log.read(after, upTo, limit),
      deltaId: () => log.deltaId(),
    };
  }

  /** The cursor's sequence, or the refusal for an id this session never handed out. */
  #resolve(opened: Opened, cursor: Cursor | null): number | { refused: "invalid_cursor"; path: string } {
    if (cursor === null) return 0;
    // A sequence past the head was never handed out (another session's, or invented).
    if ("sequence" in cursor) return cursor.sequence <= opened.log.head ? cursor.sequence : { refused: "invalid_cursor", path: cursor.path };
    const sequence = opened.log.cursor(cursor.id);
    return sequence ?? { refused: "invalid_cursor", path: cursor.path };
  }

  /** Brings the index in step, then sets the alarm to what is left to do (a retry if the write failed, or nothing). */
  async #syncIndex(): Promise<void> {
    await this.#index.sync();
    await this.#rearm();
  }

  /**
   * One alarm serves every timer the object needs: the watchdog while a turn runs, else a retry
   * while the index is behind; with neither, no alarm is left (an idle object keeps nothing).
   */
  async #rearm(): Promise<void> {
    try {
      if (isProvisioned(this.#db) && this.#records.get()?.deletedAt) await this.ctx.storage.setAlarm(Date.now() + INDEX_RETRY_MS);
      else if (this.#opened?.turns.busy) await this.ctx.storage.setAlarm(Date.now() + turnSettings(this.env).watchdogMs);
      else if (this.#index.behind) await this.ctx.storage.setAlarm(Date.now() + INDEX_RETRY_MS);
      else await this.ctx.storage.deleteAlarm();
    } catch (err) {
      logLine("error", { msg: "could not set the session alarm", error: describeError(err) });
    }
  }

  /** Removes the index row, then the object's storage; if the index refuses, the alarm tries again. */
  async #finishDelete(sessionId: string): Promise<void> {
    if (!(await this.#index.remove(sessionId))) {
      await this.ctx.storage.setAlarm(Date.now() + INDEX_RETRY_MS);
      return;
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}
