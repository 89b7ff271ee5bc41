import { and, asc, eq } from "drizzle-orm";
import type { LlmToolCall } from "../llm/types";
import { nowIso } from "../lib/time";
import type { SessionDb } from "./db/client";
import type { ActiveTurns } from "./active-turns";
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
  pend(turnId: string, calls: readonly LlmToolCall[], byClient: (call: LlmToolCall) => boolean): void {
    calls.forEach((call, position) => {
      const executor = byClient(call) ? "client" : "builtin";
      this.#db.insert(pendingToolCalls).values({ toolCallId: call.id, turnId, position, executor, name: call.name, arguments: call.arguments }).run();
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
          .set({ answered: true, result: o.result ?? null, error: o.error, internal: o.internal })
          .where(eq(pendingToolCalls.toolCallId, o.call.id))
          .run();
      }
    });
  }

  /** Built-in calls a restart cut off are answered as failed, so a resumed turn can go on. */
  answerCutOff(): void {
    this.#db.update(pendingToolCalls).set({ answered: true, error: CUT_OFF }).where(and(eq(pendingToolCalls.executor, "builtin"), eq(pendingToolCalls.answered, false))).run();
  }

  /** Whether every call of the waiting reply has its result. */
  allAnswered(): boolean {
    return this.#db.select().from(pendingToolCalls).all().every((r) => r.answered);
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
        return { call, status: error === null ? "success" : "error", result: error === null ? (row.result ?? null) : null, error, internal: row.internal };
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
      waiting = this.#db.select().from(pendingToolCalls).where(eq(pendingToolCalls.executor, "client")).all().some((r) => !r.answered);
      if (!waiting) this.#records.change(this.#sessionId, { status: "active", updatedAt: nowIso() });
    });
    return { accepted: results.length, waiting };
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
