import { and, asc, eq, gte, inArray } from "drizzle-orm";
import type { Database } from "../db/client";
import type { Env } from "../env";
import { newId } from "../lib/ids";
import { describeError, logLine } from "../lib/log";
import type { LlmUsage } from "../llm/types";
import { nowIso } from "../lib/time";
import type { SessionDb } from "./db/client";
import { activeTurn, events } from "./db/schema";
import type { EventLog } from "./event-log";
import { TERMINAL_TYPES, type EventContext } from "./events";
import type { ClientToolCalls } from "./client-tools";
import type { CancelTarget, ToolResultInput, ToolResultsRefusal } from "./rpc";
import type { InputQueue, QueuedInput } from "./input-queue";
import { RunningTurn } from "./running-turn";
import type { SessionRecords } from "./session-record";
import { turnSettings } from "./settings";
import { writeTurnEnd, type ActiveTurn } from "./turn-end";
import { failureText, outcomeOfAbort, runTurn, type TurnOutcome, type TurnStart } from "./turn-runner";
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
  /** The session went idle or its turn parked: bring the D1 index in step (off the path clients wait on), then reset the alarm. */
  settled(): void;
  /** A turn started or ended: the object's alarm (the watchdog) must be set or cleared. */
  rearm(): void;
}

/** How a turn ends (a parked turn has not ended). */
type Ending = Exclude<TurnOutcome, { kind: "waiting" }>;

/** A turn of this instance: working (its work in memory) or parked (waiting for the client, nothing in memory but this). */
interface Running {
  active: ActiveTurn;
  turn: RunningTurn;
  parked: boolean;
  /** Set when writing the turn's end failed: the watchdog writes this outcome again. */
  unwritten?: Ending;
}

/** A turn's control-plane read, in flight, and what it asked for. */
interface TurnConfig {
  reads: TurnConfigReads;
  config: ReturnType<typeof readTurnConfig>;
}

/**
 * Runs a session's turns one at a time: an input starts a turn or waits in the queue (FIFO); every
 * turn ends with exactly one terminal event, written by `#finish`, also when its work never
 * returns (cancel and the watchdog force the end) or the object restarted (`recover`). A turn that
 * waits for client-side tool results parks: its state is in storage, it holds no promise, and it
 * goes on (`#resume`) when the client's last result arrives, in this instance or after a restart.
 */
export class TurnController {
  readonly #host: TurnHost;
  #running: Running | null = null;
  /** Set when the session is being deleted: no turn starts or goes on from then on. */
  #closed = false;

  constructor(host: TurnHost) {
    this.#host = host;
  }

  /** Whether a turn is running, parked or recorded as running. */
  get busy(): boolean {
    return this.#running !== null || this.#storedActive() !== null;
  }

  /**
   * A new input: queued, and started at once when no turn runs. Synchronous, so concurrent posts
   * keep their order. It leaves the queue only in the write that starts its turn.
   */
  accept(item: QueuedInput): void {
    if (this.#closed) return;
    this.#host.queue.push(item);
    if (!this.busy) this.#startNext();
  }

  /**
   * A turn recorded as running with nothing of it in this instance: the object was evicted or
   * restarted. A parked turn stays parked (or goes on, if its results are all in); any other ends
   * now as `interrupted`, and the queue goes on. With no turn recorded, a queued input (one whose
   * start storage refused) starts.
   */
  recover(): void {
    if (this.#running) return;
    const active = this.#storedActive();
    if (!active) {
      this.#startNext();
      return;
    }
    if (active.waitingSince !== null) {
      this.#host.clientTools.answerCutOff();
      this.#running = { active, turn: new RunningTurn(), parked: true };
      if (this.#host.clientTools.allAnswered()) this.#resume();
      return;
    }
    this.#running = { active, turn: new RunningTurn(), parked: false };
    // What the turn spent before it parked and went on counts, as its stored progress says.
    this.#finish(this.#running, { kind: "failed", ...this.#progress(), errorCode: "interrupted", error: failureText("interrupted") });
  }

  /** Cancels the turn the request means, once: a repeat answers the same and never touches the next turn. */
  async cancel(target: CancelTarget): Promise<"cancelled" | "no_op"> {
    const running = this.#running;
    const aimed = target.turnId ?? (running && running.active.startedAt <= target.requestedAt ? running.active.turnId : this.#runningAt(target.requestedAt));
    if (!aimed) return "no_op";
    if (!running || running.active.turnId !== aimed) return this.#endedAs(aimed) === "turn.cancelled" ? "cancelled" : "no_op";
    const { turn } = running;
    if (running.parked && !turn.finishing) {
      this.#finish(running, { kind: "cancelled", ...this.#progress() });
      return "cancelled";
    }
    const reason = turn.abortReason?.reason;
    if (reason !== undefined && reason !== "cancelled") return "no_op";
    if (reason === undefined) {
      if (turn.finishing) return "no_op"; // its end is being written: too late to cancel
      turn.abortFor("cancelled");
    }
    // A delete that came meanwhile ended the turn and wiped its storage: nothing is left to end.
    if (!(await turn.endsWithin(CANCEL_GRACE_MS)) && !this.#closed) this.#forceEnd(running);
    return "cancelled";
  }

  /**
   * The watchdog: ends a parked turn whose client took longer than TOOL_RESULTS_TIMEOUT_MS, aborts
   * a working turn past its deadline (its waits for the client not counted), ends one whose work
   * ignored its abort, and writes an end that storage refused earlier.
   */
  watchdog(): void {
    const running = this.#running;
    if (!running) {
      if (!this.busy) this.#startNext();
      return;
    }
    if (running.unwritten) {
      this.#finish(running, running.unwritten);
      return;
    }
    const settings = turnSettings(this.#host.env);
    const stored = this.#storedActive();
    const now = Date.now();
    if (running.parked) {
      if (stored?.waitingSince != null && now - stored.waitingSince >= settings.toolResultsTimeoutMs) {
        this.#finish(running, { kind: "failed", ...this.#progress(), errorCode: "tool_results_timeout", error: failureText("tool_results_timeout") });
      }
      return;
    }
    const { turn, active } = running;
    if (turn.abortedAt !== null && now - turn.abortedAt >= settings.watchdogMs) {
      this.#forceEnd(running); // aborted a watchdog period ago and still running: something ignores the signal
      return;
    }
    const waited = (stored?.waitedMs ?? 0) + (stored?.waitingSince != null ? now - stored.waitingSince : 0);
    if (now - active.startedAt - waited >= settings.deadlineMs) turn.abortFor("deadline");
  }

  /**
   * When the watchdog must look next, or null with no turn: a working turn every watchdog period;
   * a parked one only when its wait for the client times out (nothing else can change meanwhile
   * but a request, which wakes the object anyway).
   */
  nextWatch(now: number): number | null {
    const settings = turnSettings(this.#host.env);
    if (!this.busy) return !this.#closed && this.#host.queue.size > 0 ? now + settings.watchdogMs : null;
    const running = this.#running;
    const waitingSince = running?.parked && !running.unwritten ? this.#storedActive()?.waitingSince : null;
    return waitingSince != null ? Math.max(now, waitingSince + settings.toolResultsTimeoutMs) : now + settings.watchdogMs;
  }

  /** Results of client-side tool calls: stored all or none; a parked turn goes on once every call has one. */
  submitToolResults(results: readonly ToolResultInput[]): { accepted: number; waiting: boolean } | ToolResultsRefusal {
    const outcome = this.#host.clientTools.submit(results);
    if (!("refused" in outcome) && !outcome.waiting && this.#running?.parked && !this.#running.turn.finishing) this.#resume();
    return outcome;
  }

  /** Stops the turn for a delete; waits a little for its work, then lets go of it. */
  async stopForDelete(): Promise<void> {
    // First, so a turn that ends meanwhile (a cancel's or the deadline's abort came before this
    // one) starts nothing after it.
    this.#closed = true;
    const running = this.#running;
    if (!running) return;
    if (!running.parked) {
      running.turn.abortFor("deleted");
      await running.turn.endsWithin(DELETE_GRACE_MS);
    }
    this.#running = null;
  }

  #storedActive(): ActiveTurn | null {
    return this.#host.db.select().from(activeTurn).limit(1).get() ?? null;
  }

  /** The stored progress of the running turn: its model calls and their usage so far. */
  #progress(): { iterations: number; usage: LlmUsage } {
    const stored = this.#storedActive();
    return { iterations: stored?.iterations ?? 0, usage: { inputTokens: stored?.inputTokens ?? 0, outputTokens: stored?.outputTokens ?? 0 } };
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
   * turn's record and the session's status are written locally while it is in flight. An input
   * leaves the queue in that same write, so a start that storage refuses loses nothing.
   */
  #start(item: QueuedInput): void {
    const host = this.#host;
    const record = host.records.get();
    if (!record) throw new Error("the session record is missing");
    const active: ActiveTurn = {
      turnId: newId("turn"),
      inputMessageId: item.messageId,
      modelId: item.modelId,
      startedAt: Date.now(),
      iterations: 0,
      inputTokens: 0,
      outputTokens: 0,
      waitingSince: null,
      waitedMs: 0,
    };
    const config = this.#readConfig(active);
    const context = contextOf(active);
    const now = nowIso();
    host.log.append([{ type: "turn.started", context, data: { turn_id: active.turnId, input_message_id: active.inputMessageId } }], () => {
      host.db.insert(activeTurn).values(active).run();
      host.queue.remove(item.messageId);
      // Not a change the index must see at once: it catches up when the session settles (or from the watchdog).
      host.records.change(host.sessionId, { status: "active", startedAt: record.startedAt ?? now, updatedAt: now });
    });
    this.#launch(active, config, { iterations: 0, usage: { ...ZERO_USAGE }, resumeTools: false });
  }

  /** Goes on with a parked turn whose client has answered every call: its results are stored, then the model is called again. */
  #resume(): void {
    if (this.#closed) return;
    const parked = this.#storedActive();
    if (!parked || parked.waitingSince === null) return;
    const waitedMs = parked.waitedMs + (Date.now() - parked.waitingSince);
    this.#host.db.update(activeTurn).set({ waitingSince: null, waitedMs }).where(eq(activeTurn.turnId, parked.turnId)).run();
    const active = { ...parked, waitingSince: null, waitedMs };
    this.#launch(active, this.#readConfig(active), { ...this.#progress(), resumeTools: true });
  }

  /** The turn's one D1 read (agent, capabilities, models), sent at once. */
  #readConfig(active: ActiveTurn): TurnConfig {
    const host = this.#host;
    const reads: TurnConfigReads = { orgId: host.orgId, agentId: host.agentId, messageModelId: active.modelId, sessionModelId: host.records.get()?.modelId ?? null };
    const config = readTurnConfig(host.d1, reads);
    config.catch(() => undefined); // observed by #execute; this only keeps an early failure from being reported as unhandled
    return { reads, config };
  }

  #launch(active: ActiveTurn, config: TurnConfig, start: TurnStart): void {
    const running: Running = { active, turn: new RunningTurn(), parked: false };
    this.#running = running;
    this.#host.rearm();
    void this.#execute(running, config, start).catch((err: unknown) => {
      logLine("error", { msg: "turn bookkeeping failed", session_id: this.#host.sessionId, error: describeError(err) });
    });
  }

  async #execute(running: Running, { reads, config }: TurnConfig, start: TurnStart): Promise<void> {
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
        clientTools: (tools) => clientToolRunner(host.clientTools, running.active.turnId, tools),
        context: contextOf(running.active),
        signal: turn.signal,
        queued: () => host.queue.messageIds(),
      });
      outcome = await runTurn(plan, start);
    } catch (err) {
      outcome = this.#outcomeOfError(err, turn, start);
    }
    // A cancel that arrived before the terminal event was written wins, so the caller's
    // "cancelled" and the stream agree.
    const abort = turn.abortReason;
    if (abort?.reason === "cancelled" && outcome.kind !== "deleted") {
      outcome = outcomeOfAbort(abort, "iterations" in outcome ? outcome.iterations : start.iterations, "usage" in outcome ? outcome.usage : start.usage);
    }
    if (turn.finishing) return; // cancel or the watchdog already ended it
    if (outcome.kind === "waiting") this.#park(running, outcome);
    else this.#finish(running, outcome);
  }

  #outcomeOfError(err: unknown, turn: RunningTurn, start: TurnStart): TurnOutcome {
    const abort = turn.abortReason;
    if (abort) return outcomeOfAbort(abort, start.iterations, start.usage);
    logLine("error", { msg: "turn failed", session_id: this.#host.sessionId, error: describeError(err) });
    return { kind: "failed", iterations: start.iterations, usage: start.usage, errorCode: "internal_error", error: failureText("internal_error") };
  }

  /**
   * Parks a turn that waits for its client: its progress goes to storage and its work ends, so
   * nothing of it stays in memory. If the results all came in meanwhile, it goes on at once.
   */
  #park(running: Running, outcome: { iterations: number; usage: LlmUsage }): void {
    const host = this.#host;
    if (this.#closed) {
      running.turn.markEnded();
      return;
    }
    host.db
      .update(activeTurn)
      .set({ iterations: outcome.iterations, inputTokens: outcome.usage.inputTokens, outputTokens: outcome.usage.outputTokens })
      .where(eq(activeTurn.turnId, running.active.turnId))
      .run();
    running.turn.markEnded();
    this.#running = { active: running.active, turn: new RunningTurn(), parked: true };
    if (host.clientTools.allAnswered()) this.#resume();
    // The index shows the session waiting, and the watchdog has nothing to do until the wait times out.
    else host.settled();
  }

  /**
   * Ends an aborted turn whose work has not stopped, from its abort reason, so the session is
   * never stuck. The work is left to finish on its own: the runner checks the signal before each
   * write, and the turn's end is already written.
   */
  #forceEnd(running: Running): void {
    const abort = running.turn.abortReason;
    if (running.turn.finishing || !abort) return;
    const { iterations, usage } = this.#progress();
    this.#finish(running, outcomeOfAbort(abort, iterations, usage));
  }

  /**
   * Writes the turn's one terminal event and starts the next queued input, in one synchronous
   * step, so no post can slip in between. If the write fails (storage refused it), the turn stays
   * recorded with its outcome and the watchdog writes it again.
   */
  #finish(running: Running, outcome: Ending): void {
    const host = this.#host;
    running.turn.finishing = true;
    const deleted = outcome.kind === "deleted" || this.#closed;
    if (!deleted) {
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
    if (deleted) return;
    if (!this.#startNext()) host.settled();
  }

  /**
   * Starts a turn for the oldest queued input, if any (false when none waits). If storage refuses
   * the start, the input stays queued and the watchdog tries again.
   */
  #startNext(): boolean {
    if (this.#closed) return false;
    const next = this.#host.queue.peek();
    if (!next) return false;
    try {
      this.#start(next);
    } catch (err) {
      logLine("error", { msg: "could not start turn", session_id: this.#host.sessionId, message_id: next.messageId, error: describeError(err) });
      this.#host.rearm();
    }
    return true;
  }
}

function contextOf(active: ActiveTurn): EventContext {
  return { turn_id: active.turnId, input_message_id: active.inputMessageId };
}

/** A turn's view of its client-side tool calls: the tools it offers, over the session's stored calls. */
function clientToolRunner(calls: ClientToolCalls, turnId: string, tools: ReadonlyMap<string, { name: string; description: string; parameters: Record<string, unknown> }>) {
  return {
    definitions: [...tools.values()].map((t) => ({ name: t.name, description: t.description, parameters: t.parameters })),
    has: (name: string) => tools.has(name),
    pend: (list: Parameters<ClientToolCalls["pend"]>[1], byClient: Parameters<ClientToolCalls["pend"]>[2]) => calls.pend(turnId, list, byClient),
    record: (outcomes: Parameters<ClientToolCalls["record"]>[0]) => calls.record(outcomes),
    allAnswered: () => calls.allAnswered(),
    outcomes: () => calls.outcomes(),
    clear: () => calls.clear(),
  };
}
