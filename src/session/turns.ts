import { describeError, logLine } from "../lib/log";
import type { TurnProgress } from "./active-turns";
import type { QueuedInput } from "./input-queue";
import type { ApprovalDecisionInput, ApprovalRefusal, CancelTarget, ToolResultInput, ToolResultsRefusal } from "./rpc";
import { RunningTurn } from "./running-turn";
import { turnSettings } from "./settings";
import { aimOfCancel, answerForEnded, cancelAction, type EndedByCancel } from "./turn-cancel";
import type { Running, TurnHost } from "./turn-host";
import { type Ending, endingOfAbort, failed } from "./turn-outcome";
import { nextWatch, watchdogAction } from "./turn-watchdog";
import { beginTurn, endTurn, resumeParked, type TurnLaunch, workTurn } from "./turn-work";

/** How long cancel waits for the turn's work to stop before ending the turn without it. */
const CANCEL_GRACE_MS = 5_000;
/** How long a delete waits for the running turn to stop before deleting anyway. */
const DELETE_GRACE_MS = 5_000;

/**
 * Runs a session's turns one at a time: an input starts a turn or waits in the queue (FIFO); every
 * turn ends with exactly one terminal event, written by `#finish`, also when its work never
 * returns (cancel and the watchdog force the end) or the object restarted (`recover`). A turn that
 * waits for client-side tool results parks: its state is in storage, it holds no promise, and it
 * goes on (`#resume`) when the client's last result arrives, in this instance or after a restart.
 * What a cancel means, what the watchdog does and how a turn ends are decided by storage-free
 * functions (turn-cancel.ts, turn-watchdog.ts, turn-outcome.ts); the running-turn row is ActiveTurns';
 * what is done to a turn (its start, its work, its end) is turn-work.ts's.
 */
export class TurnController {
  readonly #host: TurnHost;
  #running: Running | null = null;
  /** Set when the session is being deleted: no turn starts or goes on from then on. */
  #closed = false;
  /** The last turn a cancel ended: an unnamed cancel soon after is its duplicate (turn-cancel.ts). */
  #lastEndedByCancel: EndedByCancel | null = null;
  /** When the model first answered in the running turn (for turn.completed's time to first token). */
  #firstOutput: { turnId: string; at: number } | null = null;

  constructor(host: TurnHost) {
    this.#host = host;
  }

  /** Whether a turn is running, parked or recorded as running. */
  get busy(): boolean {
    return this.#running !== null || this.#host.active.current() !== null;
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
    const active = this.#host.active.current();
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
    this.#finish(this.#running, failed("interrupted", this.#host.active.progress()));
  }

  /** Cancels the turn the request means, once: a repeat answers the same and never touches the next turn. */
  async cancel(target: CancelTarget): Promise<"cancelled" | "no_op"> {
    const running = this.#running;
    const aim = aimOfCancel({
      named: target.turnId,
      running: running?.active.turnId ?? null,
      lastEnded: this.#lastEndedByCancel,
      now: Date.now(),
    });
    if (aim.kind === "none") return "no_op";
    if (aim.kind === "duplicate") return "cancelled";
    const aimed = aim.turnId;
    if (!running || running.active.turnId !== aimed) return answerForEnded(this.#host.log.endOf(aimed));
    const { turn } = running;
    const action = cancelAction({ parked: running.parked, finishing: turn.finishing, abortReason: turn.abortReason?.reason ?? null });
    if (action === "no_op") return "no_op";
    if (action === "end_parked") {
      this.#finish(running, { kind: "cancelled", ...this.#host.active.progress() });
      return "cancelled";
    }
    if (action === "abort") turn.abortFor("cancelled");
    // A delete that came meanwhile ended the turn and wiped its storage: nothing is left to end.
    if (!(await turn.endsWithin(CANCEL_GRACE_MS)) && !this.#closed) this.#forceEnd(running);
    return "cancelled";
  }

  /**
   * The watchdog: ends a parked turn whose client took longer than TOOL_RESULTS_TIMEOUT_MS, aborts
   * a working turn past its deadline (its waits for the client not counted), ends one whose work
   * ignored its abort, writes an end that storage refused earlier, and starts a queued input whose
   * start storage refused.
   */
  watchdog(): void {
    const running = this.#running;
    const stored = this.#host.active.current();
    const turn = running && { ...this.#watched(running), abortedAt: running.turn.abortedAt, startedAt: running.active.startedAt };
    const action = watchdogAction({ turn, stored, waits: this.#parkedWaits(), now: Date.now(), settings: turnSettings(this.#host.env) });
    if (action === "start_next") this.#startNext();
    if (!running) return;
    if (action === "expire_approvals" && stored)
      this.#expireApprovals(running, { turn_id: stored.turnId, input_message_id: stored.inputMessageId });
    else if (action === "write_end" && running.unwritten) this.#finish(running, running.unwritten);
    else if (action === "end_wait_timed_out") this.#finish(running, failed("tool_results_timeout", this.#host.active.progress()));
    else if (action === "force_end") this.#forceEnd(running);
    else if (action === "abort_deadline") running.turn.abortFor("deadline");
  }

  /** When the watchdog must look next, or null with no turn (see turn-watchdog.ts). */
  nextWatch(now: number): number | null {
    return nextWatch({
      busy: this.busy,
      closed: this.#closed,
      queued: this.#host.queue.size > 0,
      turn: this.#running && this.#watched(this.#running),
      waitingSince: this.#host.active.current()?.waitingSince ?? null,
      waits: this.#parkedWaits(),
      now,
      settings: turnSettings(this.#host.env),
    });
  }

  /** The turn this instance holds, as the watchdog sees it. */
  #watched(running: Running): { parked: boolean; unwritten: boolean } {
    return { parked: running.parked, unwritten: running.unwritten !== undefined };
  }

  /** What a parked turn waits for: the first approval to expire, and whether a client-side call has no result yet. */
  #parkedWaits(): { approvalExpiry: number | null; forClient: boolean } {
    return { approvalExpiry: this.#host.approvals.nextExpiry(), forClient: this.#host.clientTools.waitingForClient() };
  }

  /** Results of client-side tool calls: stored all or none; a parked turn goes on once every call has one. */
  submitToolResults(results: readonly ToolResultInput[]): { accepted: number; waiting: boolean } | ToolResultsRefusal {
    const outcome = this.#host.clientTools.submit(results);
    if (!("refused" in outcome) && !outcome.waiting && this.#running?.parked && !this.#running.turn.finishing) this.#resume();
    return outcome;
  }

  /**
   * A person's decisions on calls waiting for approval: applied all or none; a parked turn goes on
   * once no call waits (an allowed call runs then). `decidedBy` is the user or API key id.
   */
  decideApprovals(
    decisions: readonly ApprovalDecisionInput[],
    decidedBy: string,
  ): { accepted: number; waiting: boolean } | ApprovalRefusal {
    const stored = this.#host.active.current();
    const context = { turn_id: stored?.turnId ?? null, input_message_id: stored?.inputMessageId ?? null };
    const outcome = this.#host.approvals.decide(decisions, decidedBy, context);
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

  /** Goes on with a parked turn whose client has answered every call: its wait ends, then the model is called again. */
  #resume(): void {
    if (this.#closed) return;
    const launch = resumeParked(this.#host);
    if (launch) this.#launch(launch);
  }

  #launch(launch: TurnLaunch): void {
    const running: Running = { active: launch.active, turn: new RunningTurn(), parked: false };
    this.#running = running;
    this.#host.rearm();
    void this.#execute(running, launch).catch((err: unknown) => {
      logLine("error", { msg: "turn bookkeeping failed", session_id: this.#host.sessionId, error: describeError(err) });
    });
  }

  async #execute(running: Running, launch: TurnLaunch): Promise<void> {
    const turnId = running.active.turnId;
    const onFirstOutput = () => {
      if (this.#firstOutput?.turnId !== turnId) this.#firstOutput = { turnId, at: Date.now() };
    };
    const outcome = await workTurn(this.#host, running, launch, onFirstOutput);
    if (running.turn.finishing) return; // cancel or the watchdog already ended it
    if (outcome.kind === "waiting") this.#park(running, outcome);
    else this.#finish(running, outcome);
  }

  /**
   * Parks a turn that waits for its client: its progress goes to storage and its work ends, so
   * nothing of it stays in memory. If the results all came in meanwhile, it goes on at once.
   */
  #park(running: Running, progress: TurnProgress): void {
    const host = this.#host;
    if (this.#closed) {
      running.turn.markEnded();
      return;
    }
    host.active.saveProgress(running.active.turnId, progress);
    running.turn.markEnded();
    this.#running = { active: running.active, turn: new RunningTurn(), parked: true };
    if (host.clientTools.allAnswered()) this.#resume();
    // The index shows the session waiting, and the watchdog has nothing to do until the wait times out.
    else host.settled();
  }

  /** Rejects the parked turn's calls whose wait for approval has passed; the turn goes on if nothing else waits. */
  #expireApprovals(running: Running, context: { turn_id: string; input_message_id: string }): void {
    this.#host.approvals.expire(Date.now(), context);
    if (this.#host.clientTools.allAnswered() && !running.turn.finishing) this.#resume();
  }

  /**
   * Ends an aborted turn whose work has not stopped, from its abort reason, so the session is
   * never stuck. The work is left to finish on its own: the runner checks the signal before each
   * write, and the turn's end is already written.
   */
  #forceEnd(running: Running): void {
    const abort = running.turn.abortReason;
    if (running.turn.finishing || !abort) return;
    this.#finish(running, endingOfAbort(abort, this.#host.active.progress()));
  }

  /**
   * Writes the turn's one terminal event and starts the next queued input, in one synchronous
   * step, so no post can slip in between. If the write fails (storage refused it), the turn stays
   * recorded with its outcome and the watchdog writes it again.
   */
  #finish(running: Running, outcome: Ending): void {
    const host = this.#host;
    running.turn.finishing = true;
    if (outcome.kind !== "deleted" && !this.#closed) {
      const firstOutput = this.#firstOutput?.turnId === running.active.turnId ? this.#firstOutput.at : null;
      if (!endTurn(host, running.active, outcome, firstOutput)) {
        running.unwritten = outcome;
        host.rearm();
        return;
      }
    }
    running.turn.markEnded();
    if (this.#running === running) this.#running = null;
    if (outcome.kind === "deleted" || this.#closed) return;
    const started = this.#startNext();
    // In the same step as the next turn's start, so no duplicate of the cancel can slip in between.
    if (outcome.kind === "cancelled")
      this.#lastEndedByCancel = { turnId: running.active.turnId, at: Date.now(), next: this.#running?.active.turnId ?? null };
    if (!started) host.settled();
  }

  /**
   * Starts a turn for the oldest queued input, if any (false when none waits). If storage refuses
   * the start, the input stays queued and the watchdog tries again.
   */
  #startNext(): boolean {
    if (this.#closed) return false;
    const next = this.#host.queue.peek();
    if (!next) return false;
    const launch = beginTurn(this.#host, next);
    if (launch) this.#launch(launch);
    else this.#host.rearm();
    return true;
  }
}
