import { logLine } from "../lib/log";
import { fitText } from "../lib/payload-limit";
import { LlmError, type LlmToolCall, type LlmToolDefinition, type LlmUsage } from "../llm/types";
import type { ContentPart } from "../schemas/messages";
import { DeltaBatcher } from "./delta-batcher";
import { storeMessages } from "./message-store";
import { failureText, outcomeOfAbort, TurnAbort, type TurnOutcome } from "./turn-outcome";
import { FRESH_START, type TurnPlan, type TurnStart, turnOf } from "./turn-plan";
import { act, finishWaiting } from "./turn-tools";

/**
 * Reason → tools → reason, until a reply has no tool calls or the iteration limit is hit.
 * Streams deltas, emits tool.call/tool.result and stores every message it produces. It never
 * emits the terminal event: the session object does, exactly once, from the outcome. A reply
 * that calls a client-side tool parks the turn (`waiting`); `start` resumes it.
 */
export async function runTurn(plan: TurnPlan, start: TurnStart = FRESH_START): Promise<TurnOutcome> {
  const usage: LlmUsage = { ...start.usage };
  let iterations = start.iterations;
  const compaction: CompactionSeen = { dropped: 0 };
  const toolFailed = (): TurnOutcome => ({
    kind: "failed",
    iterations,
    usage,
    errorCode: "tool_failed",
    error: failureText("tool_failed"),
  });
  try {
    const toolDefinitions: LlmToolDefinition[] = [
      ...[...plan.tools.values()].map(({ tool }) => ({ name: tool.name, description: tool.description, parameters: tool.parameters })),
      ...plan.clientTools.definitions,
    ];
    if (start.resumeTools && (await finishWaiting(plan)).some((o) => o.internal)) return toolFailed();
    while (iterations < plan.maxIterations) {
      iterations += 1;
      const reply = await reason(plan, toolDefinitions, usage, compaction);
      if (reply.calls.length === 0) return { kind: "completed", iterations, usage };
      const outcomes = await act(plan, reply.calls);
      if (outcomes === "waiting") return { kind: "waiting", iterations, usage };
      if (outcomes.some((o) => o.internal)) return toolFailed();
    }
    return { kind: "failed", iterations, usage, errorCode: "max_iterations", error: failureText("max_iterations") };
  } catch (err) {
    const abort = plan.signal.aborted ? plan.signal.reason : undefined;
    if (abort instanceof TurnAbort) return outcomeOfAbort(abort, iterations, usage);
    if (err instanceof LlmError) {
      logProviderFailure(plan, err);
      return { kind: "failed", iterations, usage, errorCode: err.code, error: failureText(err.code) };
    }
    throw err;
  }
}

/**
 * Logs why the provider failed. An LlmError's message holds only the provider, the status and
 * an identifier-like error type (http-errors.ts), never a body or a URL that could carry the key;
 * its cause (a fetch error) is left out for the same reason.
 */
function logProviderFailure(plan: TurnPlan, err: LlmError): void {
  logLine("warn", {
    msg: "turn failed",
    session_id: plan.sessionId,
    turn_id: plan.context.turn_id,
    model: plan.model,
    code: err.code,
    status: err.status,
    retry_after_seconds: err.retryAfterSeconds,
    error: err.message,
  });
}

/** How many messages the turn last said it left out of the prompt (`context.compacted` goes out when that changes). */
interface CompactionSeen {
  dropped: number;
}

/** One model call: streams deltas and stores the agent's message (text and tool calls). */
async function reason(
  plan: TurnPlan,
  tools: LlmToolDefinition[],
  usage: LlmUsage,
  seen: CompactionSeen,
): Promise<{ calls: LlmToolCall[] }> {
  const messageId = plan.newMessageId();
  const { messages, compacted } = plan.conversation();
  if (compacted && compacted.dropped_messages !== seen.dropped) {
    plan.log.append([{ type: "context.compacted", context: plan.context, data: { ...compacted } }]);
    seen.dropped = compacted.dropped_messages;
  }
  const calls: LlmToolCall[] = [];
  const deltas = new DeltaBatcher(plan.deltaBatchMs, (delta, accumulated) => {
    plan.log.emitDelta({ type: "message.delta", context: plan.context, data: { message_id: messageId, delta, accumulated } });
  });
  try {
    for await (const event of plan.driver.stream({ model: plan.model, system: plan.system, messages, tools, signal: plan.signal })) {
      plan.signal.throwIfAborted();
      if (event.type === "tool_call" || (event.type === "text_delta" && event.text.length > 0)) plan.onFirstOutput?.();
      if (event.type === "text_delta") {
        if (event.text.length > 0) deltas.push(event.text);
      } else if (event.type === "tool_call") {
        calls.push(event.call);
      } else {
        usage.inputTokens += event.usage.inputTokens;
        usage.outputTokens += event.usage.outputTokens;
      }
    }
    plan.signal.throwIfAborted();
    deltas.flush();
  } finally {
    deltas.stop();
  }
  const accumulated = deltas.text;
  const content: ContentPart[] = [];
  // The stream carried the whole reply; storage keeps what fits in a row, marked as cut.
  if (accumulated.length > 0) content.push({ type: "text", ...fitText(accumulated) });
  for (const call of calls) content.push({ type: "tool_call", id: call.id, name: call.name, arguments: call.arguments });
  plan.signal.throwIfAborted();
  storeMessages(plan.db, plan.log, plan.sessionId, plan.context, [
    { id: messageId, role: "agent", content, metadata: { model: plan.model, ...turnOf(plan) } },
  ]);
  return { calls };
}
