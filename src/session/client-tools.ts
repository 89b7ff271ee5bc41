import { eq } from "drizzle-orm";
import type { LlmToolCall } from "../llm/types";
import { nowIso } from "../lib/time";
import type { ClientTool } from "../schemas/tools";
import type { SessionDb } from "./db/client";
import { pendingToolCalls } from "./db/schema";
import type { RunningTurn } from "./running-turn";
import type { SessionRecords } from "./session-record";
import type { ToolOutcome } from "./tools";
import type { ClientToolRunner } from "./turn-runner";

/** One result a client posts for a call of one of its tools. */
export interface ToolResultInput {
  tool_call_id: string;
  result?: unknown;
  error?: string | null;
}

/** Why results were refused, with the indexes of the results at fault. */
export type ToolResultsRefusal =
  | { refused: "not_waiting_for_tool_results" }
  | { refused: "unknown_tool_call"; indexes: number[] }
  | { refused: "tool_call_already_answered"; indexes: number[] };

interface Waiter {
  calls: readonly LlmToolCall[];
  turn: RunningTurn;
  resolve: (outcomes: ToolOutcome[]) => void;
}

/**
 * The calls of client-side tools a turn waits on, in the object's storage (`pending_tool_calls`),
 * and the turn's wait for them. The session is `waitingfortoolresults` from the moment the calls
 * are stored (in the transaction of their `tool.call` events) until the last result arrives.
 */
export class ClientToolCalls {
  readonly #db: SessionDb;
  readonly #records: SessionRecords;
  readonly #sessionId: string;
  #waiter: Waiter | null = null;

  constructor(db: SessionDb, records: SessionRecords, sessionId: string) {
    this.#db = db;
    this.#records = records;
    this.#sessionId = sessionId;
  }

  /** The runner a turn uses for the client-side tools it offers. */
  runner(turn: RunningTurn, turnId: string, tools: ReadonlyMap<string, ClientTool>): ClientToolRunner {
    return {
      definitions: [...tools.values()].map((t) => ({ name: t.name, description: t.description, parameters: t.parameters })),
      has: (name) => tools.has(name),
      pend: (calls) => {
        for (const call of calls) {
          this.#db.insert(pendingToolCalls).values({ toolCallId: call.id, turnId, name: call.name, arguments: call.arguments }).run();
        }
        this.#records.change(this.#sessionId, { status: "waitingfortoolresults", updatedAt: nowIso() });
        turn.waitingSince = Date.now();
      },
      results: (calls, signal) =>
        new Promise<ToolOutcome[]>((resolve, reject) => {
          if (signal.aborted) {
            reject(signal.reason);
            return;
          }
          signal.addEventListener("abort", () => reject(signal.reason), { once: true });
          this.#waiter = { calls, turn, resolve };
          this.#resolveIfAnswered();
        }),
    };
  }

  /**
   * Stores a client's results: all or none. Refused when no call waits, when an id is not a
   * pending call of the running turn, or when a call already has its result.
   */
  submit(results: readonly ToolResultInput[]): { accepted: number; waiting: boolean } | ToolResultsRefusal {
    const rows = this.#db.select().from(pendingToolCalls).all();
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
      waiting = this.#db.select().from(pendingToolCalls).all().some((r) => !r.answered);
      if (!waiting) this.#records.change(this.#sessionId, { status: "active", updatedAt: nowIso() });
    });
    if (!waiting) this.#resolveIfAnswered();
    return { accepted: results.length, waiting };
  }

  /** Forgets the turn's calls (its end is written in the same transaction). */
  clear(): void {
    this.#db.delete(pendingToolCalls).run();
    this.#waiter = null;
  }

  /** Hands the results to the waiting turn once every one of its calls is answered. */
  #resolveIfAnswered(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    const rows = new Map(this.#db.select().from(pendingToolCalls).all().map((r) => [r.toolCallId, r]));
    if (waiter.calls.some((c) => !rows.get(c.id)?.answered)) return;
    this.#waiter = null;
    const { turn } = waiter;
    if (turn.waitingSince !== null) turn.waitedMs += Date.now() - turn.waitingSince;
    turn.waitingSince = null;
    waiter.resolve(
      waiter.calls.map((call) => {
        const row = rows.get(call.id);
        const error = row?.error ?? null;
        return { call, status: error === null ? "success" : "error", result: error === null ? (row?.result ?? null) : null, error, internal: false };
      }),
    );
  }
}
