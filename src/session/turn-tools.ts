import { fitToolResult } from "../lib/payload-limit";
import type { LlmToolCall } from "../llm/types";
import { callEvents, inCallOrder, routeCalls } from "./call-routes";
import { storeMessages } from "./message-store";
import { runToolCall, type ToolOutcome } from "./tools";
import { type TurnPlan, turnOf } from "./turn-plan";

/**
 * Runs the reply's tool calls: built-in ones here (in parallel unless the session says otherwise,
 * each with its own timeout), client-side ones by the client, gated ones once a person allows
 * them (call-routes.ts decides which is which). Their `tool.call` events (and a
 * `tool.approval_requested` per gated call) are written in the transaction that stores them as
 * pending; the turn then parks (`waiting`) unless everything was answered meanwhile. A call a
 * `reject_always` rule covers is answered with the rejection without running. Results are stored
 * in the order of the calls.
 */
export async function act(plan: TurnPlan, calls: LlmToolCall[]): Promise<ToolOutcome[] | "waiting"> {
  const routed = routeCalls(calls, {
    builtIn: plan.tools,
    byClient: (name) => plan.clientTools.has(name),
    verdict: (name, gated) => plan.approvals.verdict(name, gated),
  });
  const { asked, waits } = routed;
  const expiresAt = asked.length > 0 ? plan.approvals.expiresAt() : 0;
  plan.log.append(
    callEvents(calls, routed, plan.context, expiresAt),
    waits
      ? () => {
          plan.clientTools.pend(calls, routed.byClient, routed.gated);
          if (asked.length > 0) plan.approvals.request(asked, expiresAt);
        }
      : undefined,
  );
  const ranHere = await runHere(plan, routed.here);
  plan.signal.throwIfAborted();
  if (!waits) {
    const outcomes = inCallOrder(calls, [...ranHere, ...routed.rejected]);
    storeResults(plan, outcomes);
    return outcomes;
  }
  plan.clientTools.record([...ranHere, ...routed.rejected]);
  return plan.clientTools.allAnswered() ? finishWaiting(plan) : "waiting";
}

/**
 * Ends a wait whose calls are all answered or allowed: the allowed ones run now, then every
 * result is stored and the pending calls are forgotten.
 */
export async function finishWaiting(plan: TurnPlan): Promise<ToolOutcome[]> {
  const allowed = plan.clientTools.allowedToRun();
  if (allowed.length > 0) {
    const ran = await runHere(plan, allowed);
    plan.signal.throwIfAborted();
    plan.clientTools.record(ran);
  }
  return storeWaitingResults(plan);
}

/** Runs built-in calls here: at the same time unless the session says otherwise. */
async function runHere(plan: TurnPlan, calls: readonly LlmToolCall[]): Promise<ToolOutcome[]> {
  const run = async (call: LlmToolCall) =>
    fitted(
      await runToolCall(
        call,
        plan.tools,
        plan.signal,
        plan.fetcher,
        { session_id: plan.sessionId, turn_id: plan.context.turn_id },
        plan.allowPrivateUrls,
      ),
    );
  if (plan.parallelTools) return Promise.all(calls.map(run));
  const out: ToolOutcome[] = [];
  for (const call of calls) out.push(await run(call));
  return out;
}

/** Stores the results of a reply that waited for the client, and forgets its pending calls. */
function storeWaitingResults(plan: TurnPlan): ToolOutcome[] {
  const outcomes = plan.clientTools.outcomes();
  storeResults(plan, outcomes, () => plan.clientTools.clear());
  return outcomes;
}

/** An outcome whose result fits in a stored row (a larger one is cut, and the model reads the cut text). */
function fitted(outcome: ToolOutcome): ToolOutcome {
  const result = fitToolResult(outcome.result);
  return result === outcome.result ? outcome : { ...outcome, result };
}

/** The results as `tool.result` events and `tool_result` messages, in the order given. */
function storeResults(plan: TurnPlan, given: readonly ToolOutcome[], alsoWrite?: () => void): void {
  const outcomes = given.map(fitted);
  plan.log.append(
    outcomes.map((o) => ({
      type: "tool.result",
      context: plan.context,
      data: {
        tool_call_id: o.call.id,
        name: o.call.name,
        status: o.status,
        result: o.result,
        error: o.error,
        ...(o.errorCode ? { error_code: o.errorCode } : {}),
      },
    })),
  );
  storeMessages(
    plan.db,
    plan.log,
    plan.sessionId,
    plan.context,
    outcomes.map((o) => ({
      role: "tool_result",
      content: [{ type: "tool_result", tool_call_id: o.call.id, result: o.result, error: o.error }],
      metadata: { tool_name: o.call.name, ...turnOf(plan) },
    })),
    alsoWrite,
  );
}
