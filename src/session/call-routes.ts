import type { LlmToolCall } from "../llm/types";
import type { EventContext, EventDraft } from "./events";
import { rejectionText } from "./tool-approvals";
import type { EnabledTool, ToolOutcome } from "./tools";
import type { ApprovalGate } from "./turn-plan";

/**
 * Where each of a reply's tool calls goes, decided without storage: to the client, run here, to a
 * person first, or answered at once by a `reject_always` rule; and the events that say so.
 */

/** What decides a call's route: the built-in tools, whether the client runs a tool, and the approval gate's verdict. */
export interface CallTools {
  builtIn: ReadonlyMap<string, Pick<EnabledTool, "requiresApproval">>;
  byClient: (name: string) => boolean;
  verdict: ApprovalGate["verdict"];
}

export interface RoutedCalls {
  /** Run by the client: a tool the client offers that is not built in. */
  byClient: (call: LlmToolCall) => boolean;
  /** Waits for a person before it runs. */
  gated: (call: LlmToolCall) => boolean;
  /** The gated calls, in the reply's order. */
  asked: LlmToolCall[];
  /** Built-in calls that run now, in the reply's order. */
  here: LlmToolCall[];
  /** Calls a `reject_always` rule answers without running, as their outcomes. */
  rejected: ToolOutcome[];
  /** The turn waits (for its client or a person) before the results are stored. */
  waits: boolean;
}

/** Routes a reply's calls. A call runs by the client only if no built-in tool has its name. */
export function routeCalls(calls: readonly LlmToolCall[], tools: CallTools): RoutedCalls {
  const byClient = (call: LlmToolCall) => !tools.builtIn.has(call.name) && tools.byClient(call.name);
  const verdicts = new Map(
    calls.map((call) => [
      call.id,
      byClient(call) ? "run" : tools.verdict(call.name, tools.builtIn.get(call.name)?.requiresApproval === true),
    ]),
  );
  const gated = (call: LlmToolCall) => verdicts.get(call.id) === "ask";
  const asked = calls.filter(gated);
  return {
    byClient,
    gated,
    asked,
    here: calls.filter((call) => !byClient(call) && verdicts.get(call.id) === "run"),
    rejected: calls.filter((call) => verdicts.get(call.id) === "reject").map(rejectedByRule),
    waits: asked.length > 0 || calls.some(byClient),
  };
}

/**
 * The reply's `tool.call` events, in its order — `executor: "client"` on a client's call,
 * `approval: "required"` on a gated one — then a `tool.approval_requested` for each gated call,
 * which stops waiting at `expiresAt`.
 */
export function callEvents(calls: readonly LlmToolCall[], routed: RoutedCalls, context: EventContext, expiresAt: number): EventDraft[] {
  return [
    ...calls.map((call) => ({
      type: "tool.call" as const,
      context,
      // `tool_calls` is what the official SDKs' helpers read from a call the client must run.
      data: routed.byClient(call)
        ? { tool_call: call, executor: "client", tool_calls: [call] }
        : routed.gated(call)
          ? { tool_call: call, approval: "required" }
          : { tool_call: call },
    })),
    ...routed.asked.map((call) => ({
      type: "tool.approval_requested" as const,
      context,
      data: { tool_call: call, expires_at: new Date(expiresAt).toISOString() },
    })),
  ];
}

/** The outcomes in the order of the calls they answer (a call with none is left out). */
export function inCallOrder(calls: readonly LlmToolCall[], outcomes: readonly ToolOutcome[]): ToolOutcome[] {
  const byId = new Map(outcomes.map((o) => [o.call.id, o]));
  return calls.map((call) => byId.get(call.id)).filter((o): o is ToolOutcome => o !== undefined);
}

/** A call a `reject_always` decision of this session answers without asking. */
function rejectedByRule(call: LlmToolCall): ToolOutcome {
  return { call, status: "error", result: null, error: rejectionText(null, true), errorCode: "tool_rejected", internal: false };
}
