import { and, asc, eq, isNull, or } from "drizzle-orm";
import { nowIso } from "../lib/time";
import type { LlmToolCall } from "../llm/types";
import type { ActiveTurns } from "./active-turns";
import type { SessionDb } from "./db/client";
import { pendingToolCalls } from "./db/schema";
import type { ToolResultInput, ToolResultsRefusal } from "./rpc";
import type { SessionRecords } from "./session-record";
import type { ToolOutcome } from "./tools";

/** What a built-in call that a restart cut off answers, so the turn can go on without it. */
const CUT_OFF = "The tool did not finish: its session restarted";

/**
 * The tool calls of a reply that called a client-side tool, kept in the object's storage while
 * the turn waits for the client (`pending_tool_calls`): nothing of the wait is in memory, so the
 * object can be evicted, or hibernate, while the client works, and go on when the results come.
 * The session is `waitingfortoolresults` from the moment the calls are stored (in the transaction
 * of their `tool.call` events) until the client's last result arrives.
 */
export class ClientToolCalls {
  readonly #db: SessionDb;
  readonly #records: SessionRecords;
  readonly #sessionId: string;
  readonly #active: ActiveTurns;

  constructor(db: SessionDb, records: SessionRecords, sessionId: string, active: ActiveTurns) {
    this.#db = db;
    this.#records = records;
    this.#sessionId = sessionId;
    this.#active = active;
  }

  /**
   * Stores every call of the reply (the client's, and the built-in ones, to be answered here) and
   * puts the turn and the session in the waiting state; runs in the transaction of the calls' events.
   */
  pend(
    turnId: string,
    calls: readonly LlmToolCall[],
    byClient: (call: LlmToolCall) => boolean,
    gated: (call: LlmToolCall) => boolean = () => false,
  ): void {
    calls.forEach((call, position) => {
      const executor = byClient(call) ? "client" : "builtin";
      const approval = executor === "builtin" && gated(call) ? "required" : null;
      this.#db
        .insert(pendingToolCalls)
        .values({ toolCallId: call.id, turnId, position, executor, name: call.name, arguments: call.arguments, approval })
        .run();
    });
    this.#records.change(this.#sessionId, { status: "waitingfortoolresults", updatedAt: nowIso() });
    this.#active.startWaiting(turnId);
  }

  /** Records what the built-in calls of the reply answered. */
  record(outcomes: readonly ToolOutcome[]): void {
    this.#db.$client.transactionSync(() => {
      for (const o of outcomes) {
        this.#db
          .update(pendingToolCalls)
          .set({ answered: true, result: o.result ?? null, error: o.error, errorCode: o.errorCode ?? null, internal: o.internal })
          .where(eq(pendingToolCalls.toolCallId, o.call.id))
          .run();
      }
    });
  }

  /**
   * Built-in calls a restart cut off are answered as failed, so a resumed turn can go on; an
   * allowed gated call that had not finished counts as cut off too (it may have run: it is never
   * run twice). Calls still waiting for a person keep waiting.
   */
  answerCutOff(): void {
    this.#db
      .update(pendingToolCalls)
      .set({ answered: true, error: CUT_OFF })
      .where(
        and(
          eq(pendingToolCalls.executor, "builtin"),
          eq(pendingToolCalls.answered, false),
          or(isNull(pendingToolCalls.approval), eq(pendingToolCalls.approval, "allowed")),
        ),
      )
      .run();
  }

  /** Whether every call of the waiting reply has its result, or is allowed and only waits to run. */
  allAnswered(): boolean {
    return this.#db
      .select()
      .from(pendingToolCalls)
      .all()
      .every((r) => r.answered || r.approval === "allowed");
  }

  /** Whether a call of the client's still has no result (the client-results timeout applies only then). */
  waitingForClient(): boolean {
    return (
      this.#db
        .select()
        .from(pendingToolCalls)
        .where(and(eq(pendingToolCalls.executor, "client"), eq(pendingToolCalls.answered, false)))
        .all().length > 0
    );
  }

  /** Gated calls a person allowed that have not run yet, in the order of the reply. */
  allowedToRun(): LlmToolCall[] {
    return this.#db
      .select()
      .from(pendingToolCalls)
      .where(and(eq(pendingToolCalls.approval, "allowed"), eq(pendingToolCalls.answered, false)))
      .orderBy(asc(pendingToolCalls.position))
      .all()
      .map((row) => ({ id: row.toolCallId, name: row.name, arguments: row.arguments }));
  }

  /** The results of the waiting reply's calls, in the order of the calls. */
  outcomes(): ToolOutcome[] {
    return this.#db
      .select()
      .from(pendingToolCalls)
      .orderBy(asc(pendingToolCalls.position))
      .all()
      .map((row) => {
        const error = row.answered ? (row.error ?? null) : CUT_OFF;
        const call = { id: row.toolCallId, name: row.name, arguments: row.arguments };
        const errorCode = row.answered ? (row.errorCode ?? null) : null;
        return {
          call,
          status: error === null ? "success" : "error",
          result: error === null ? (row.result ?? null) : null,
          error,
          errorCode,
          internal: row.internal,
        };
      });
  }

  /**
   * Stores a client's results: all or none. Refused when no call waits, when an id is not a
   * pending client-side call, or when a call already has its result. `waiting` says whether the
   * turn still waits for others.
   */
  submit(results: readonly ToolResultInput[]): { accepted: number; waiting: boolean } | ToolResultsRefusal {
    const rows = this.#db.select().from(pendingToolCalls).where(eq(pendingToolCalls.executor, "client")).all();
    if (!rows.some((r) => !r.answered)) return { refused: "not_waiting_for_tool_results" };
    const byId = new Map(rows.map((r) => [r.toolCallId, r]));
    const unknown = results.flatMap((r, i) => (byId.has(r.tool_call_id) ? [] : [i]));
    if (unknown.length > 0) return { refused: "unknown_tool_call", indexes: unknown };
    const answered = results.flatMap((r, i) => (byId.get(r.tool_call_id)?.answered ? [i] : []));
    if (answered.length > 0) return { refused: "tool_call_already_answered", indexes: answered };
    let waiting = true;
    this.#db.$client.transactionSync(() => {
      for (const r of results) {
        const error = r.error ?? null;
        this.#db
          .update(pendingToolCalls)
          .set({ answered: true, result: error === null ? (r.result ?? null) : null, error })
          .where(eq(pendingToolCalls.toolCallId, r.tool_call_id))
          .run();
      }
      waiting = this.#stillWaiting();
      if (!waiting) this.#records.change(this.#sessionId, { status: "active", updatedAt: nowIso() });
    });
    return { accepted: results.length, waiting };
  }

  /** Whether a call still waits for its client or for a person. */
  #stillWaiting(): boolean {
    return this.#db
      .select()
      .from(pendingToolCalls)
      .all()
      .some((r) => (r.executor === "client" && !r.answered) || r.approval === "required");
  }

  /**
   * Marks gated calls decided (inside the caller's transaction): an allowed one runs when the turn
   * goes on, a rejected one is answered with the rejection. Returns whether any call still waits,
   * and when none does the session is `active` again.
   */
  applyDecisions(decisions: ReadonlyArray<{ toolCallId: string; allow: boolean; error: string; errorCode: string }>): boolean {
    for (const d of decisions) {
      const set = d.allow
        ? { approval: "allowed" as const }
        : { approval: "rejected" as const, answered: true, error: d.error, errorCode: d.errorCode, result: null };
      this.#db
        .update(pendingToolCalls)
        .set(set)
        .where(and(eq(pendingToolCalls.toolCallId, d.toolCallId), eq(pendingToolCalls.approval, "required")))
        .run();
    }
    const waiting = this.#stillWaiting();
    if (!waiting) this.#records.change(this.#sessionId, { status: "active", updatedAt: nowIso() });
    return waiting;
  }

  /**
   * Forgets the reply's calls (their results are stored, or the turn ended) and ends the turn's
   * wait, if it still counts one: the client may have answered before the turn parked (its
   * built-in calls still ran), and then no resume ended it.
   */
  clear(): void {
    this.#db.delete(pendingToolCalls).run();
    this.#active.stopWaiting();
  }
}
