import type { LlmToolDefinition } from "../llm/types";

interface ToolContext {
  /** Aborted on cancel or when the tool's timeout passes. */
  signal: AbortSignal;
  /** The capability's per-agent config (`{ref, config}` on the agent). */
  config: Record<string, unknown>;
  /** Outbound fetch; tests may inject one. */
  fetch: typeof fetch;
  /** web_fetch may fetch plain-http and private addresses (ALLOW_PRIVATE_FETCH_URLS: local development and tests only). */
  allowPrivateUrls?: boolean;
}

/** A tool failure whose message is meant for the model (it becomes `tool.result.error`, and `code` its `error_code`). */
export class ToolError extends Error {
  readonly code: string | null;
  constructor(message: string, code: string | null = null) {
    super(message);
    this.name = "ToolError";
    this.code = code;
  }
}

export interface Tool extends LlmToolDefinition {
  /** Per-tool timeout in milliseconds; the turn runner enforces it. */
  timeoutMs: number;
  /** The `error_code` of a `tool.result` when the timeout passes (none by default). */
  timeoutCode?: string;
  /** Runs the tool; returns a JSON-serialisable result or throws ToolError. */
  execute(args: Record<string, unknown>, context: ToolContext): Promise<unknown>;
}

export interface Capability {
  id: string;
  name: string;
  description: string;
  status: "available";
  category: string;
  /** Added to the agent's system prompt when the capability is enabled. */
  systemPrompt: string | null;
  tools: Tool[];
}

/** A tool of a capability an agent enables, with that capability's per-agent config. */
export interface EnabledTool {
  tool: Tool;
  config: Record<string, unknown>;
  /** The capability's `config.require_approval` names this tool (or all of its tools): a person decides each call. */
  requiresApproval?: boolean;
}
