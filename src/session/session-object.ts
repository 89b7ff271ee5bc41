import { DurableObject } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { createDb, type Database } from "../db/client";
import { sessions } from "../db/schema";
import type { Env } from "../env";
import { newId } from "../lib/ids";
import { describeError, logLine } from "../lib/log";
import { nowIso } from "../lib/time";
import type { ContentPart, MessageControls } from "../schemas/messages";
import type { Message } from "../services/messages";
import { EventLog } from "./event-log";
import { isEventType, NO_CONTEXT, type EventContext, type EventType } from "./event-types";
import { Fanout } from "./fanout";
import { storeMessages } from "./message-writer";
import { streamTiming, turnSettings } from "./settings";
import { RunningTurn } from "./running-turn";
import { turnHasEnded, writeTurnEnd, type ActiveTurn } from "./turn-end";
import { prepareTurn } from "./turn-setup";
import { failureText, outcomeOfAbort, runTurn, type TurnOutcome } from "./turn-runner";

/** Who the object belongs to; stored on first use so alarms after an eviction know it too. */
export interface SessionMeta {
  sessionId: string;
  orgId: string;
}

interface QueuedInput {
  messageId: string;
  modelId: string | null;
}


const ZERO_USAGE = { inputTokens: 0, outputTokens: 0 } as const;
/** How long cancel waits for the turn's work to stop before ending the turn without it. */
const CANCEL_GRACE_MS = 5_000;
/** How long a delete waits for the running turn to stop before deleting anyway. */
const DELETE_GRACE_MS = 5_000;

export interface PostMessageInput {
  content: ContentPart[];
  controls: MessageControls | null;
  metadata: Record<string, unknown> | null;
}

/**
 * One per session: the single writer of the session's event log and its turn state. It runs
 * turns one at a time (later messages queue, FIFO), fans events out to every open stream, and
 * guarantees every turn ends with exactly one terminal event — also after an eviction, which
 * the watchdog alarm or the next request detects and ends as `interrupted`.
 */
export class SessionObject extends DurableObject<Env> {
  readonly #db: Database;
  readonly #fanout: Fanout;
  #meta: SessionMeta | null = null;
  #log: EventLog | null = null;
  #opening: Promise<EventLog> | null = null;
  #queue: QueuedInput[] = [];
  #active: ActiveTurn | null = null;
  #running: RunningTurn | null = null;
  #destroyed = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#db = createDb(env.DB);
    this.#fanout = new Fanout(streamTiming(env));
    void ctx.blockConcurrencyWhile(async () => {
      this.#meta = (await ctx.storage.get<SessionMeta>("meta")) ?? null;
      this.#queue = (await ctx.storage.get<QueuedInput[]>("queue")) ?? [];
      this.#active = (await ctx.storage.get<ActiveTurn>("active")) ?? null;
      // A restart between starting a queued turn and storing the shorter queue leaves that
      // input in both places; it runs (or is ended) once, as the active turn.
      const activeInput = this.#active?.inputMessageId;
      this.#queue = this.#queue.filter((item) => item.messageId !== activeInput);
    });
  }

  /**
   * Stores a user message with its `message.created` event, then starts a turn or queues it.
   * Null when the session is being deleted (the route answers 404, as for any deleted session).
   */
  async postMessage(meta: SessionMeta, input: PostMessageInput): Promise<Message | null> {
    if (this.#destroyed) return null;
    const log = await this.#open(meta);
    let message: Message | undefined;
    try {
      [message] = await storeMessages(this.#db, log, meta.sessionId, NO_CONTEXT, [
        { role: "user", content: input.content, controls: input.controls, metadata: input.metadata },
      ]);
    } catch (err) {
      // The delete won the race: the session row (and its foreign key) went while this was written.
      if (this.#destroyed) return null;
      throw err;
    }
    if (this.#destroyed) return null;
    if (!message) throw new Error("message was not stored");
    const item: QueuedInput = { messageId: message.id, modelId: input.controls?.model_id ?? null };
    if (this.#active) {
      this.#queue.push(item);
      await this.ctx.storage.put("queue", this.#queue);
    } else {
      this.#startTurn(item);
    }
    return message;
  }

  /** Cancels the running turn (and only it: queued messages still run). */
  async cancel(meta: SessionMeta): Promise<{ status: "cancelled" | "no_op" }> {
    if (this.#destroyed) return { status: "no_op" };
    await this.#open(meta);
    const running = this.#running;
    const active = this.#active;
    // Already ending (its terminal event is being written, or the deadline or a delete aborted it).
    if (!running || !active || running.finishing || running.signal.aborted) return { status: "no_op" };
    running.abortFor("cancelled");
    if (!(await running.endsWithin(CANCEL_GRACE_MS))) await this.#forceEnd(active, running);
    return { status: "cancelled" };
  }

  /** Stops everything and deletes the session's rows (messages and events cascade) in D1. */
  async destroy(sessionId: string): Promise<void> {
    this.#destroyed = true;
    const running = this.#running;
    if (running) {
      running.abortFor("deleted");
      await running.endsWithin(DELETE_GRACE_MS);
    }
    this.#fanout.closeAll();
    await this.#db.delete(sessions).where(eq(sessions.id, sessionId));
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#queue = [];
    this.#active = null;
  }

  /** The SSE stream: replay after `after`, then live. The route has authorized the caller. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const meta = { sessionId: url.searchParams.get("session_id") ?? "", orgId: url.searchParams.get("org_id") ?? "" };
    if (this.#destroyed) return new Response(null, { status: 404 });
    const log = await this.#open(meta);
    if (this.#fanout.full) return new Response(null, { status: 429 });
    const list = (name: string) => new Set<EventType>(url.searchParams.getAll(name).filter(isEventType));
    const allowed = list("types");
    const types = allowed.size > 0 ? allowed : null;
    const stream = this.#fanout.subscribe(
      {
        get head() {
          return log.head;
        },
        read: (after, upTo, limit) => log.read(after, upTo, limit),
      },
      { afterSequence: Number(url.searchParams.get("after") ?? 0), types, exclude: list("exclude") },
    );
    return new Response(stream, {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" },
    });
  }

  /** The watchdog: ends a turn past its deadline, or one that an eviction interrupted. */
  override async alarm(): Promise<void> {
    if (!this.#meta) return;
    await this.#open(this.#meta);
    await this.#endInterruptedTurn();
    const running = this.#running;
    const active = this.#active;
    if (!running || !active) return;
    const settings = turnSettings(this.env);
    if (running.abortedAt !== null && Date.now() - running.abortedAt >= settings.watchdogMs) {
      // Aborted a watchdog period ago and still running: something ignores the signal.
      await this.#forceEnd(active, running);
      return;
    }
    if (Date.now() - active.startedAt >= settings.deadlineMs) running.abortFor("deadline");
    await this.ctx.storage.setAlarm(Date.now() + settings.watchdogMs);
  }

  /**
   * Loads the log and recovers an interrupted turn, once. Every caller awaits the same promise, so
   * no request or alarm sees the log before recovery has finished (it would end the turn again).
   */
  #open(meta: SessionMeta): Promise<EventLog> {
    this.#opening ??= this.#load(meta).catch((err: unknown) => {
      this.#opening = null;
      throw err;
    });
    return this.#opening;
  }

  async #load(meta: SessionMeta): Promise<EventLog> {
    if (!this.#meta) {
      this.#meta = meta;
      await this.ctx.storage.put("meta", meta);
    }
    const log = new EventLog(this.#db, this.#meta.sessionId, (envelopes) => this.#fanout.broadcast(envelopes));
    await log.load();
    this.#log = log;
    await this.#endInterruptedTurn();
    return log;
  }

  /**
   * A stored active turn with nothing running in this instance: the object was evicted or
   * restarted mid-turn (or D1 failed while the turn was ending). End it now, then go on with the queue.
   */
  async #endInterruptedTurn(): Promise<void> {
    const interrupted = this.#active;
    if (!interrupted || this.#running) return;
    if (await turnHasEnded(this.#db, this.#meta?.sessionId ?? "", interrupted.turnId)) {
      // The restart came after the terminal event reached D1 but before this object's storage
      // forgot the turn: the turn is over, only the bookkeeping is left.
      await this.#advance();
      return;
    }
    const outcome = interrupted.outcome ?? { kind: "failed", iterations: 0, usage: ZERO_USAGE, errorCode: "interrupted", error: failureText("interrupted") };
    await this.#finish(interrupted, outcome);
  }

  /** Starts a turn. Synchronously marks the session busy so concurrent posts queue behind it. */
  #startTurn(item: QueuedInput): void {
    const active: ActiveTurn = { turnId: newId("turn"), inputMessageId: item.messageId, modelId: item.modelId, startedAt: Date.now() };
    this.#active = active;
    const running = new RunningTurn();
    this.#running = running;
    void this.#execute(active, running).catch((err: unknown) => {
      logLine("error", { msg: "turn bookkeeping failed", session_id: this.#meta?.sessionId, error: describeError(err) });
    });
  }

  /**
   * Ends an aborted turn whose work has not stopped, from its abort reason, so the session is
   * never stuck. The work is left to finish on its own: the runner checks the signal before each
   * write, and the turn's end is already written.
   */
  async #forceEnd(active: ActiveTurn, running: RunningTurn): Promise<void> {
    const abort = running.abortReason;
    if (running.finishing || !abort) return;
    running.finishing = true;
    await this.#finish(active, outcomeOfAbort(abort, 0, ZERO_USAGE));
  }

  async #execute(active: ActiveTurn, running: RunningTurn): Promise<void> {
    const meta = this.#meta;
    const log = this.#log;
    if (!meta || !log) return;
    const context: EventContext = { turn_id: active.turnId, input_message_id: active.inputMessageId };
    let outcome: TurnOutcome;
    try {
      await this.ctx.storage.put("active", active);
      await this.ctx.storage.setAlarm(Date.now() + turnSettings(this.env).watchdogMs);
      const now = nowIso();
      const started = log.append([{ type: "turn.started", context, data: { turn_id: active.turnId, input_message_id: active.inputMessageId } }], () => [
        this.#db
          .update(sessions)
          .set({ status: "active", startedAt: sql`coalesce(${sessions.startedAt}, ${now})`, updatedAt: now })
          .where(eq(sessions.id, meta.sessionId)),
      ]);
      // The turn is prepared while turn.started is written (they touch different rows); the model
      // is called only once turn.started is committed, so it always comes first in the log.
      const preparing = prepareTurn({
        env: this.env,
        db: this.#db,
        log,
        meta,
        context,
        modelId: active.modelId,
        signal: running.signal,
        queued: () => new Set(this.#queue.map((q) => q.messageId)),
      });
      const [, plan] = await Promise.all([started, preparing]);
      outcome = await runTurn(plan);
    } catch (err) {
      outcome = this.#outcomeOfError(err, running);
    }
    // A cancel that arrived before the terminal event was written wins, so the caller's
    // "cancelled" and the stream agree.
    const abort = running.abortReason;
    if (abort?.reason === "cancelled" && outcome.kind !== "deleted") {
      outcome = outcomeOfAbort(abort, "iterations" in outcome ? outcome.iterations : 0, "usage" in outcome ? outcome.usage : ZERO_USAGE);
    }
    if (running.finishing) return; // cancel or the watchdog already ended it
    running.finishing = true;
    await this.#finish(active, outcome);
  }

  #outcomeOfError(err: unknown, running: RunningTurn): TurnOutcome {
    const abort = running.abortReason;
    if (abort) return outcomeOfAbort(abort, 0, ZERO_USAGE);
    logLine("error", { msg: "turn failed", session_id: this.#meta?.sessionId, error: describeError(err) });
    return { kind: "failed", iterations: 0, usage: ZERO_USAGE, errorCode: "internal_error", error: failureText("internal_error") };
  }

  /** Writes the turn's one terminal event (and `session.completed` when nothing is queued), then runs the next input. */
  async #finish(active: ActiveTurn, outcome: TurnOutcome): Promise<void> {
    const running = this.#running;
    try {
      await this.#writeEnd(active, outcome);
    } finally {
      running?.markEnded();
    }
  }

  async #writeEnd(active: ActiveTurn, outcome: TurnOutcome): Promise<void> {
    const meta = this.#meta;
    const log = this.#log;
    if (outcome.kind === "deleted" || this.#destroyed || !meta || !log) {
      this.#running = null;
      return;
    }
    try {
      if (!(await writeTurnEnd(this.#db, log, meta.sessionId, active, outcome, () => this.#queue.length > 0))) {
        this.#running = null;
        return;
      }
    } catch (err) {
      // D1 is failing: keep the turn recorded as active so the watchdog ends it once D1 is back.
      logLine("error", { msg: "could not end turn", session_id: meta.sessionId, error: describeError(err) });
      this.#running = null;
      this.#active = { ...active, outcome };
      await this.ctx.storage.put("active", this.#active);
      await this.ctx.storage.setAlarm(Date.now() + turnSettings(this.env).watchdogMs);
      return;
    }
    await this.#advance();
  }

  /** After a turn's terminal event is stored: forget the turn and start the next queued input. */
  async #advance(): Promise<void> {
    this.#active = null;
    this.#running = null;
    // Re-read the queue: a message may have been queued while the terminal event was written.
    const following = this.#queue.shift();
    if (following) {
      this.#startTurn(following);
      await this.ctx.storage.put("queue", this.#queue);
    } else {
      // Issued together, before any other request can start a turn and set its own alarm.
      await Promise.all([this.ctx.storage.delete("active"), this.ctx.storage.deleteAlarm()]);
    }
  }
}
