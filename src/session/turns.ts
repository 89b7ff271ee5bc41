import { and, asc, eq, gte, inArray } from "drizzle-orm";
import type { Database } from "../db/client";
import type { Env } from "../env";
import { newId } from "../lib/ids";
import { describeError, logLine } from "../lib/log";
import { nowIso } from "../lib/time";
import type { SessionDb } from "./db/client";
import { activeTurn, events } from "./db/schema";
import type { EventLog } from "./event-log";
import { TERMINAL_TYPES, type EventContext } from "./events";
import type { ClientToolCalls, ToolResultInput, ToolResultsRefusal } from "./client-tools";
import type { InputQueue, QueuedInput } from "./input-queue";
import { RunningTurn } from "./running-turn";
import type { SessionRecords } from "./session-record";
import { turnSettings } from "./settings";
import { writeTurnEnd, type ActiveTurn } from "./turn-end";
import { failureText, outcomeOfAbort, runTurn, type TurnOutcome } from "./turn-runner";
import { prepareTurn, readTurnConfig, type TurnConfigReads } from "./turn-setup";

const ZERO_USAGE = { inputTokens: 0, outputTokens: 0 } as const;
/** How long cancel waits for the turn's work to stop before ending the turn without it. */
const CANCEL_GRACE_MS = 5_000;
/** How long a delete waits for the running turn to stop before deleting anyway. */
const DELETE_GRACE_MS = 5_000;

/** What the turns of a session work with: its storage, the control plane, and two callbacks to the object. */
export interface TurnHost {
  env: Env;
  db: SessionDb;
  d1: Database;
  log: EventLog;
  queue: InputQueue;
  records: SessionRecords;
  clientTools: ClientToolCalls;
  sessionId: string;
  orgId: string;
  agentId: string;
  /** The session went idle: bring the D1 index in step (off the path clients wait on), then reset the alarm. */
  settled(): void;
  /** A turn started or ended: the object's alarm (the watchdog) must be set or cleared. */
  rearm(): void;
}

/** Which turn a cancel means: the one it names, or the one running when it was sent. */
export interface CancelTarget {
  turnId?: string | undefined;
  /** When the request arrived (ms since the epoch): an unnamed cancel never reaches a turn started after it. */
  requestedAt: number;
}

interface Running {
  active: ActiveTurn;
  turn: RunningTurn;
  /** Set when writing the turn's end failed: the watchdog writes this outcome again. */
  unwritten?: TurnOutcome;
}

/**
 * Runs a session's turns one at a time: an input starts a turn or waits in the queue (FIFO); every
 * turn ends with exactly one terminal event, written by `#finish`, also when its work never
 * returns (cancel and the watchdog force the end) or the object restarted (`recover`).
 */
export class TurnController {
  readonly #host: TurnHost;
  #running: Running | null = null;

  constructor(host: TurnHost) {
    this.#host = host;
  }

  /** Whether a turn is running (or recorded as running). */
  get busy(): boolean {
    return this.#running !== null || this.#storedActive() !== null;
  }

  /** A new input: starts a turn now or queues it. Synchronous, so concurrent posts keep their order. */
  accept(item: QueuedInput): void {
    if (this.busy) this.#host.queue.push(item);
    else this.#start(item);
  }

  /**
   * A turn recorded as running with nothing running in this instance: the object was evicted or
   * restarted mid-turn. It ends now as `interrupted`, and the queue goes on.
   */
  recover(): void {
    const active = this.#storedActive();
    if (!active || this.#running) return;
    this.#running = { active, turn: new RunningTurn() };
    this.#finish(this.#running, { kind: "failed", iterations: 0, usage: ZERO_USAGE, errorCode: "interrupted", error: failureText("interrupted") });
  }

  /** Cancels the turn the request means, once: a repeat answers the same and never touches the next turn. */
  async cancel(target: CancelTarget): Promise<"cancelled" | "no_op"> {
    const running = this.#running;
    const aimed = target.turnId ?? (running && running.active.startedAt <= target.requestedAt ? running.active.turnId : this.#runningAt(target.requestedAt));
    if (!aimed) return "no_op";
    if (!running || running.active.turnId !== aimed) return this.#endedAs(aimed) === "turn.cancelled" ? "cancelled" : "no_op";
    const { turn } = running;
    const reason = turn.abortReason?.reason;
    if (reason !== undefined && reason !== "cancelled") return "no_op";
    if (reason === undefined) {
      if (turn.finishing) return "no_op"; // its end is being written: too late to cancel
      turn.abortFor("cancelled");
    }
    if (!(await turn.endsWithin(CANCEL_GRACE_MS))) this.#forceEnd(running);
    return "cancelled";
  }

  /** The watchdog: ends a turn past its deadline, or one whose work ignored its abort, or whose end could not be written. */
  watchdog(): void {
    const running = this.#running;
    if (!running) return;
    if (running.unwritten) {
      this.#finish(running, running.unwritten);
      return;
    }
    const settings = turnSettings(this.#host.env);
    const { turn, active } = running;
    const now = Date.now();
    if (turn.abortedAt !== null && now - turn.abortedAt >= settings.watchdogMs) {
      this.#forceEnd(running); // aborted a watchdog period ago and still running: something ignores the signal
      return;
    }
    if (turn.waitingSince !== null && now - turn.waitingSince >= settings.toolResultsTimeoutMs) turn.abortFor("tool_results_timeout");
    // Waiting for the client does not count toward the deadline: its own timeout governs it.
    else if (turn.workedMs(active.startedAt, now) >= settings.deadlineMs) turn.abortFor("deadline");
  }

  /** Results of client-side tool calls: stored all or none; the turn goes on once every call has one. */
  submitToolResults(results: readonly ToolResultInput[]): { accepted: number; waiting: boolean } | ToolResultsRefusal {
    return this.#host.clientTools.submit(results);
  }

  /** Stops the running turn for a delete; waits a little for its work, then lets go of it. */
  async stopForDelete(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    running.turn.abortFor("deleted");
    await running.turn.endsWithin(DELETE_GRACE_MS);
    this.#running = null;
  }

  #storedActive(): ActiveTurn | null {
    return this.#host.db.select().from(activeTurn).limit(1).get() ?? null;
  }

  /**
   * The turn that was running at `time` (ms since the epoch) and has ended since, if any: what an
   * unnamed cancel that reached the object after that turn's end was aimed at.
   */
  #runningAt(time: number): string | null {
    const at = new Date(time).toISOString();
    const end = this.#host.db
      .select({ turnId: events.turnId })
      .from(events)
      .where(and(inArray(events.type, [...TERMINAL_TYPES]), gte(events.ts, at)))
      .orderBy(asc(events.sequence))
      .limit(1)
      .get();
    if (!end?.turnId) return null;
    const started = this.#host.db.select({ ts: events.ts }).from(events).where(and(eq(events.type, "turn.started"), eq(events.turnId, end.turnId))).get();
    return started && started.ts <= at ? end.turnId : null;
  }

  /** How a turn that is no longer running ended (its terminal event type), or null. */
  #endedAs(turnId: string): string | null {
    const row = this.#host.db
      .select({ type: events.type })
      .from(events)
      .where(and(inArray(events.type, [...TERMINAL_TYPES]), eq(events.turnId, turnId)))
      .get();
    return row?.type ?? null;
  }

  /**
   * Starts a turn: the control-plane read (one D1 batch) is sent first, then `turn.started`, the
   * turn's record and the session's status are written locally while it is in flight.
   */
  #start(item: QueuedInput): void {
    const host = this.#host;
    const record = host.records.get();
    if (!record) throw new Error("the session record is missing");
    const reads: TurnConfigReads = { orgId: host.orgId, agentId: host.agentId, messageModelId: item.modelId, sessionModelId: record.modelId };
    const config = readTurnConfig(host.d1, reads);
    config.catch(() => undefined); // observed by #execute; this only keeps an early failure from being reported as unhandled
    const active: ActiveTurn = { turnId: newId("turn"), inputMessageId: item.messageId, modelId: item.modelId, startedAt: Date.now() };
    const context: EventContext = { turn_id: active.turnId, input_message_id: active.inputMessageId };
    const now = nowIso();
    host.log.append([{ type: "turn.started", context, data: { turn_id: active.turnId, input_message_id: active.inputMessageId } }], () => {
      host.db.insert(activeTurn).values(active).run();
      // Not a change the index must see at once: it catches up when the session settles (or from the watchdog).
      host.records.change(host.sessionId, { status: "active", startedAt: record.startedAt ?? now, updatedAt: now });
    });
    const running: Running = { active, turn: new RunningTurn() };
    this.#running = running;
    host.rearm();
    void this.#execute(running, reads, config, context).catch((err: unknown) => {
      logLine("error", { msg: "turn bookkeeping failed", session_id: host.sessionId, error: describeError(err) });
    });
  }

  async #execute(running: Running, reads: TurnConfigReads, config: ReturnType<typeof readTurnConfig>, context: EventContext): Promise<void> {
    const host = this.#host;
    const { turn } = running;
    let outcome: TurnOutcome;
    try {
      const record = host.records.get();
      const plan = await prepareTurn({
        env: host.env,
        db: host.db,
        log: host.log,
        sessionId: host.sessionId,
        reads,
        config,
        session: {
          capabilities: record?.capabilities ?? [],
          tools: record?.tools ?? [],
          locale: record?.locale ?? null,
          parallelToolCalls: record?.parallelToolCalls ?? null,
        },
        clientTools: (tools) => host.clientTools.runner(turn, running.active.turnId, tools),
        context,
        signal: turn.signal,
        queued: () => host.queue.messageIds(),
      });
      outcome = await runTurn(plan);
    } catch (err) {
      outcome = this.#outcomeOfError(err, turn);
    }
    // A cancel that arrived before the terminal event was written wins, so the caller's
    // "cancelled" and the stream agree.
    const abort = turn.abortReason;
    if (abort?.reason === "cancelled" && outcome.kind !== "deleted") {
      outcome = outcomeOfAbort(abort, "iterations" in outcome ? outcome.iterations : 0, "usage" in outcome ? outcome.usage : ZERO_USAGE);
    }
    if (turn.finishing) return; // cancel or the watchdog already ended it
    this.#finish(running, outcome);
  }

  #outcomeOfError(err: unknown, turn: RunningTurn): TurnOutcome {
    const abort = turn.abortReason;
    if (abort) return outcomeOfAbort(abort, 0, ZERO_USAGE);
    logLine("error", { msg: "turn failed", session_id: this.#host.sessionId, error: describeError(err) });
    return { kind: "failed", iterations: 0, usage: ZERO_USAGE, errorCode: "internal_error", error: failureText("internal_error") };
  }

  /**
   * Ends an aborted turn whose work has not stopped, from its abort reason, so the session is
   * never stuck. The work is left to finish on its own: the runner checks the signal before each
   * write, and the turn's end is already written.
   */
  #forceEnd(running: Running): void {
    const abort = running.turn.abortReason;
    if (running.turn.finishing || !abort) return;
    this.#finish(running, outcomeOfAbort(abort, 0, ZERO_USAGE));
  }

  /**
   * Writes the turn's one terminal event and starts the next queued input, in one synchronous
   * step, so no post can slip in between. If the write fails (storage refused it), the turn stays
   * recorded with its outcome and the watchdog writes it again.
   */
  #finish(running: Running, outcome: TurnOutcome): void {
    const host = this.#host;
    running.turn.finishing = true;
    if (outcome.kind !== "deleted") {
      try {
        writeTurnEnd(host, running.active, outcome, host.queue.size > 0);
      } catch (err) {
        logLine("error", { msg: "could not end turn", session_id: host.sessionId, turn_id: running.active.turnId, error: describeError(err) });
        running.unwritten = outcome;
        host.rearm();
        return;
      }
    }
    running.turn.markEnded();
    if (this.#running === running) this.#running = null;
    if (outcome.kind === "deleted") return;
    const next = host.queue.shift();
    if (next) this.#start(next);
    else host.settled();
  }
}
