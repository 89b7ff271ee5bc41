import type { LlmDriver, LlmToolCall, LlmToolDefinition, LlmUsage } from "../llm/types";
import type { SessionDb } from "./db/client";
import type { EventLog } from "./event-log";
import type { EventContext } from "./events";
import type { Prompt } from "./prompt";
import type { EnabledTool, ToolOutcome } from "./tools";

/** Where a turn starts: from scratch, or (resumed after its client's tool results) from where it parked. */
export interface TurnStart {
  iterations: number;
  usage: LlmUsage;
  /** The parked reply's tool results are stored first, then the model is called again. */
  resumeTools: boolean;
}

/** Where a turn that has not run yet starts. */
export const FRESH_START: TurnStart = { iterations: 0, usage: { inputTokens: 0, outputTokens: 0 }, resumeTools: false };

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
 * Which turn produced a message. A message posted mid-turn is stored with a sequence inside this
 * turn's output, so the conversation is rebuilt by turn (conversation.ts), not by sequence alone.
 */
export function turnOf(plan: Pick<TurnPlan, "context">): { turn_id: string | null; input_message_id: string | null } {
  return { turn_id: plan.context.turn_id, input_message_id: plan.context.input_message_id };
}
