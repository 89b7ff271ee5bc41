import { logLine } from "../lib/log";
import { fitText, fitToolResult } from "../lib/payload-limit";
import { type LlmDriver, LlmError, type LlmToolCall, type LlmToolDefinition, type LlmUsage } from "../llm/types";
import type { ContentPart } from "../schemas/messages";
import type { SessionDb } from "./db/client";
import { DeltaBatcher } from "./delta-batcher";
import type { EventLog } from "./event-log";
import type { EventContext } from "./events";
import { storeMessages } from "./message-store";
import type { Prompt } from "./prompt";
import { rejectionText } from "./tool-approvals";
import { type EnabledTool, runToolCall, type ToolOutcome } from "./tools";
import { failureText, outcomeOfAbort, TurnAbort, type TurnOutcome } from "./turn-outcome";

/** Where a turn starts: from scratch, or (resumed after its client's tool results) from where it parked. */
export interface TurnStart {
  iterations: number;
  usage: LlmUsage;
  /** The parked reply's tool results are stored first, then the model is called again. */
  resumeTools: boolean;
}

/** Everything one turn needs, prepared by the session object. */
export interface TurnPlan {
  db: SessionDb;
  log: EventLog;
  sessionId: string;
  context: EventContext;
  driver: LlmDriver;
  model: string;
  system: string;
  tools: ReadonlyMap<string, EnabledTool>;
  /** Tools the client runs: their definitions for the model, and how the turn waits for their results. */
  clientTools: ClientToolRunner;
  /** The approval gate: which calls wait for a person, and how they are recorded. */
  approvals: ApprovalGate;
  /** Whether a reply's built-in tool calls run at the same time (else one after another). */
  parallelTools: boolean;
  maxIterations: number;
  /** Text deltas are coalesced to at most one `message.delta` per this many milliseconds. */
  deltaBatchMs: number;
  signal: AbortSignal;
  fetcher: typeof fetch;
  /** Tools may fetch private and plain-http URLs (ALLOW_PRIVATE_FETCH_URLS; local development and tests only). */
  allowPrivateUrls: boolean;
  /** The prompt's conversation as it stands (re-read each iteration: tool results were added), fitted to the model's window. */
  conversation: () => Prompt;
  newMessageId: () => string;
  /** Called at the model's first output of the turn's first reply (a text delta or a tool call): time to first token. */
  onFirstOutput?: () => void;
}

/** How a turn hands calls of client-side tools to the client, and finds their results (in storage: see client-tools.ts). */
export interface ClientToolRunner {
  definitions: readonly LlmToolDefinition[];
  has(name: string): boolean;
  /** Stores the reply's calls and makes the session wait; runs inside the transaction of their `tool.call` events. */
  pend(calls: readonly LlmToolCall[], byClient: (call: LlmToolCall) => boolean, gated: (call: LlmToolCall) => boolean): void;
  /** Gated calls a person allowed that have not run yet. */
  allowedToRun(): LlmToolCall[];
  /** Records the built-in calls' results beside the client's. */
  record(outcomes: readonly ToolOutcome[]): void;
  allAnswered(): boolean;
  /** Every call's result, in the order of the calls. */
  outcomes(): ToolOutcome[];
  /** Forgets the calls once their results are stored. */
  clear(): void;
}

/** How a turn asks a person before a gated tool runs (src/session/tool-approvals.ts keeps the state). */
export interface ApprovalGate {
  /** `run` at once, `ask` a person first, or `reject` without asking (a `reject_always` of this session). */
  verdict(name: string, gated: boolean): "run" | "ask" | "reject";
  /** When a call asked now stops waiting (ms since the epoch). */
  expiresAt(): number;
  /** Records the calls that wait for a person; runs inside the transaction of their events. */
  request(calls: readonly LlmToolCall[], expiresAt: number): void;
}

/**
 * Reason → tools → reason, until a reply has no tool calls or the iteration limit is hit.
 * Streams deltas, emits tool.call/tool.result and stores every message it produces. It never
 * emits the terminal event: the session object does, exactly once, from the outcome. A reply
 * that calls a client-side tool parks the turn (`waiting`); `start` resumes it.
 */
export async function runTurn(
  plan: TurnPlan,
  start: TurnStart = { iterations: 0, usage: { inputTokens: 0, outputTokens: 0 }, resumeTools: false },
): Promise<TurnOutcome> {
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

/**
 * Runs the reply's tool calls: built-in ones here (in parallel unless the session says otherwise,
 * each with its own timeout), client-side ones by the client, gated ones once a person allows
 * them. Client calls go out as `tool.call` with `executor: "client"`, gated ones with
 * `approval: "required"` and a `tool.approval_requested`, in the transaction that stores them as
 * pending; the turn then parks (`waiting`) unless everything was answered meanwhile. A call a
 * `reject_always` rule covers is answered with the rejection without running. Results are stored
 * in the order of the calls.
 */
async function act(plan: TurnPlan, calls: LlmToolCall[]): Promise<ToolOutcome[] | "waiting"> {
  const byClient = (call: LlmToolCall) => !plan.tools.has(call.name) && plan.clientTools.has(call.name);
  const verdicts = new Map(
    calls.map((call) => [
      call.id,
      byClient(call) ? "run" : plan.approvals.verdict(call.name, plan.tools.get(call.name)?.requiresApproval === true),
    ]),
  );
  const gated = (call: LlmToolCall) => verdicts.get(call.id) === "ask";
  const asked = calls.filter(gated);
  const waits = asked.length > 0 || calls.some(byClient);
  const expiresAt = asked.length > 0 ? plan.approvals.expiresAt() : 0;
  plan.log.append(
    [
      ...calls.map((call) => ({
        type: "tool.call" as const,
        context: plan.context,
        // `tool_calls` is what the official SDKs' helpers read from a call the client must run.
        data: byClient(call)
          ? { tool_call: call, executor: "client", tool_calls: [call] }
          : gated(call)
            ? { tool_call: call, approval: "required" }
            : { tool_call: call },
      })),
      ...asked.map((call) => ({
        type: "tool.approval_requested" as const,
        context: plan.context,
        data: { tool_call: call, expires_at: new Date(expiresAt).toISOString() },
      })),
    ],
    waits
      ? () => {
          plan.clientTools.pend(calls, byClient, gated);
          if (asked.length > 0) plan.approvals.request(asked, expiresAt);
        }
      : undefined,
  );
  const here = calls.filter((call) => !byClient(call) && verdicts.get(call.id) === "run");
  const ranHere = await runHere(plan, here);
  const rejected = calls.filter((call) => verdicts.get(call.id) === "reject").map(rejectedByRule);
  plan.signal.throwIfAborted();
  if (!waits) {
    const byId = new Map([...ranHere, ...rejected].map((o) => [o.call.id, o]));
    const outcomes = calls.map((call) => byId.get(call.id)).filter((o): o is ToolOutcome => o !== undefined);
    storeResults(plan, outcomes);
    return outcomes;
  }
  plan.clientTools.record([...ranHere, ...rejected]);
  return plan.clientTools.allAnswered() ? finishWaiting(plan) : "waiting";
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

/** A call a `reject_always` decision of this session answers without asking. */
function rejectedByRule(call: LlmToolCall): ToolOutcome {
  return { call, status: "error", result: null, error: rejectionText(null, true), errorCode: "tool_rejected", internal: false };
}

/**
 * Ends a wait whose calls are all answered or allowed: the allowed ones run now, then every
 * result is stored and the pending calls are forgotten.
 */
async function finishWaiting(plan: TurnPlan): Promise<ToolOutcome[]> {
  const allowed = plan.clientTools.allowedToRun();
  if (allowed.length > 0) {
    const ran = await runHere(plan, allowed);
    plan.signal.throwIfAborted();
    plan.clientTools.record(ran);
  }
  return storeWaitingResults(plan);
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

/**
 * Which turn produced a message. A message posted mid-turn is stored with a sequence inside this
 * turn's output, so the conversation is rebuilt by turn (conversation.ts), not by sequence alone.
 */
function turnOf(plan: TurnPlan): { turn_id: string | null; input_message_id: string | null } {
  return { turn_id: plan.context.turn_id, input_message_id: plan.context.input_message_id };
}
