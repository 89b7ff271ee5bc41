import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import type { LlmToolCall } from "../llm/types";
import type { ClientToolCalls } from "./client-tools";
import type { SessionDb } from "./db/client";
import { toolApprovalRules, toolApprovals } from "./db/schema";
import type { EventLog } from "./event-log";
import type { EventContext, EventDraft } from "./events";
import type { ApprovalDecisionInput, ApprovalRefusal } from "./rpc";

/** A person's decision on a call waiting for approval. */
export type ApprovalDecision = ApprovalDecisionInput["decision"];

/** How a call of a tool is handled when the model makes it. */
export type ApprovalVerdict = "run" | "ask" | "reject";

/** What the model reads for a rejected call. */
export function rejectionText(reason: string | null | undefined, always = false): string {
  const base = always ? "A person rejected every call of this tool in this session" : "A person rejected this tool call";
  return reason ? `${base}: ${reason}` : base;
}
const TIMEOUT_TEXT = "No one approved this tool call in time";

/**
 * The approval gate's state in the session object's storage: every call that waited for a person
 * (`tool_approvals`, kept for the session's life so a late or repeated decision is told apart from
 * an unknown id) and the `*_always` rules (`tool_approval_rules`). Nothing is in memory: a turn
 * parked on an approval survives eviction like one parked on client-side tools.
 */
export class ToolApprovals {
  readonly #db: SessionDb;
  readonly #log: EventLog;
  readonly #calls: ClientToolCalls;

  constructor(db: SessionDb, log: EventLog, calls: ClientToolCalls) {
    this.#db = db;
    this.#log = log;
    this.#calls = calls;
  }

  /** How a call of `name` is handled: a session rule decides it, else it asks when the tool is gated. */
  verdict(name: string, gated: boolean): ApprovalVerdict {
    const rule = this.#db.select().from(toolApprovalRules).where(eq(toolApprovalRules.name, name)).get();
    if (rule) return rule.decision === "allow" ? "run" : "reject";
    return gated ? "ask" : "run";
  }

  /**
   * Records calls that wait for a person until `expiresAt`; runs in the transaction of their events.
   * A call with the id of an earlier one (always decided by now: a turn goes on only once its calls
   * are, and its end closes them) replaces it: some OpenAI-compatible servers repeat ids, and an
   * id-less call's stand-in is `call_<index>` in every reply.
   */
  request(turnId: string, calls: readonly LlmToolCall[], expiresAt: number): void {
    const now = Date.now();
    for (const call of calls) {
      const row = { toolCallId: call.id, turnId, name: call.name, requestedAt: now, expiresAt };
      const waiting = { ...row, decision: null, decidedBy: null, reason: null, decidedAt: null };
      this.#db.insert(toolApprovals).values(row).onConflictDoUpdate({ target: toolApprovals.toolCallId, set: waiting }).run();
    }
  }

  /**
   * Applies decisions all or none, each with its `tool.approval_decided` event, in one transaction.
   * Refused when an id never waited for approval in this session, or was decided already (by a
   * person, a rule, the timeout, or its turn's end). An `*_always` decision also becomes the rule for
   * later calls of that tool, and decides the other calls of it that wait now. `waiting`: whether
   * any call (a client's or a gated one) still waits.
   */
  decide(
    decisions: readonly ApprovalDecisionInput[],
    decidedBy: string,
    context: EventContext,
  ): { accepted: number; waiting: boolean } | ApprovalRefusal {
    const ids = decisions.map((d) => d.tool_call_id);
    const rows = new Map(
      this.#db
        .select()
        .from(toolApprovals)
        .where(inArray(toolApprovals.toolCallId, ids))
        .all()
        .map((r) => [r.toolCallId, r]),
    );
    const unknown = decisions.flatMap((d, i) => (rows.has(d.tool_call_id) ? [] : [i]));
    if (unknown.length > 0) return { refused: "unknown_approval", indexes: unknown };
    const decided = decisions.flatMap((d, i) => (rows.get(d.tool_call_id)?.decidedAt != null ? [i] : []));
    if (decided.length > 0) return { refused: "tool_call_already_decided", indexes: decided };

    const now = Date.now();
    const chosen = new Map(decisions.map((d) => [d.tool_call_id, d]));
    // An *_always decision also decides the other calls of that tool waiting now.
    for (const d of decisions) {
      if (d.decision !== "allow_always" && d.decision !== "reject_always") continue;
      const name = rows.get(d.tool_call_id)?.name ?? "";
      for (const other of this.#open().filter((r) => r.name === name && !chosen.has(r.toolCallId))) {
        chosen.set(other.toolCallId, { tool_call_id: other.toolCallId, decision: d.decision, reason: d.reason });
      }
    }
    const all = [...chosen.values()];
    let waiting = true;
    this.#log.append(
      all.map((d) => this.#decidedEvent(d.tool_call_id, d.decision, decidedBy, context)),
      () => {
        for (const d of all) {
          this.#db
            .update(toolApprovals)
            .set({ decision: d.decision, decidedBy, reason: d.reason ?? null, decidedAt: now })
            .where(eq(toolApprovals.toolCallId, d.tool_call_id))
            .run();
          if (d.decision === "allow_always" || d.decision === "reject_always") {
            const name =
              rows.get(d.tool_call_id)?.name ??
              this.#db.select().from(toolApprovals).where(eq(toolApprovals.toolCallId, d.tool_call_id)).get()?.name ??
              "";
            this.#db
              .insert(toolApprovalRules)
              .values({ name, decision: d.decision === "allow_always" ? "allow" : "reject", decidedBy, createdAt: now })
              .onConflictDoUpdate({
                target: toolApprovalRules.name,
                set: { decision: d.decision === "allow_always" ? "allow" : "reject", decidedBy, createdAt: now },
              })
              .run();
          }
        }
        waiting = this.#calls.applyDecisions(
          all.map((d) => ({
            toolCallId: d.tool_call_id,
            allow: d.decision === "allow" || d.decision === "allow_always",
            error: rejectionText(d.reason),
            errorCode: "tool_rejected",
          })),
        );
      },
    );
    return { accepted: decisions.length, waiting };
  }

  /** Rejects every call whose wait has passed (`decided_by: "timeout"`); returns how many. */
  expire(now: number, context: EventContext): number {
    const due = this.#open().filter((r) => r.expiresAt <= now);
    if (due.length === 0) return 0;
    this.#log.append(
      due.map((r) => this.#decidedEvent(r.toolCallId, "reject", "timeout", context)),
      () => {
        for (const r of due)
          this.#db
            .update(toolApprovals)
            .set({ decision: "reject", decidedBy: "timeout", decidedAt: now })
            .where(eq(toolApprovals.toolCallId, r.toolCallId))
            .run();
        this.#calls.applyDecisions(
          due.map((r) => ({ toolCallId: r.toolCallId, allow: false, error: TIMEOUT_TEXT, errorCode: "tool_approval_timeout" })),
        );
      },
    );
    return due.length;
  }

  /** When the next waiting call expires, or null when none waits. */
  nextExpiry(): number | null {
    const first = this.#open()[0];
    return first ? first.expiresAt : null;
  }

  /**
   * Closes the calls still waiting when their turn ends (cancelled, failed): a later decision on
   * one is a 409. Inside the turn end's transaction.
   */
  closeOpen(): void {
    this.#db.update(toolApprovals).set({ decidedBy: "turn_ended", decidedAt: Date.now() }).where(isNull(toolApprovals.decidedAt)).run();
  }

  #open() {
    return this.#db
      .select()
      .from(toolApprovals)
      .where(and(isNull(toolApprovals.decidedAt)))
      .orderBy(asc(toolApprovals.expiresAt))
      .all();
  }

  #decidedEvent(toolCallId: string, decision: ApprovalDecision, decidedBy: string, context: EventContext): EventDraft {
    return { type: "tool.approval_decided", context, data: { tool_call_id: toolCallId, decision, decided_by: decidedBy } };
  }
}
