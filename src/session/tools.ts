import { type EnabledTool, ToolError } from "../capabilities/types";
import { describeError, logLine } from "../lib/log";
import type { LlmToolCall } from "../llm/types";

export interface ToolOutcome {
  call: LlmToolCall;
  status: "success" | "error";
  result: unknown;
  error: string | null;
  /** The `tool.result` error_code, for failures that have one (`mcp_tool_error`, `tool_rejected`, …). */
  errorCode?: string | null;
  /** True when the tool broke in a way that is not the model's doing (a bug, not bad arguments). */
  internal: boolean;
}

export type { EnabledTool } from "../capabilities/types";

/**
 * Runs one tool call with its timeout, tied to the turn's signal. Unknown tools, bad arguments
 * and timeouts become error results the model can read; a cancel rejects with the turn's reason.
 * An unexpected failure is logged (`logFields` say whose turn it was; never the arguments, which
 * may hold anything) and marked internal.
 */
export async function runToolCall(
  call: LlmToolCall,
  tools: ReadonlyMap<string, EnabledTool>,
  turnSignal: AbortSignal,
  fetcher: typeof fetch,
  logFields: Record<string, unknown> = {},
  allowPrivateUrls = false,
): Promise<ToolOutcome> {
  // A listener added to an already-aborted signal never fires: a tool started now could run on unchecked.
  turnSignal.throwIfAborted();
  const enabled = tools.get(call.name);
  if (!enabled) return { call, status: "error", result: null, error: `Unknown tool: ${call.name}`, internal: false };
  const timeout = AbortSignal.timeout(enabled.tool.timeoutMs);
  const signal = AbortSignal.any([turnSignal, timeout]);
  const aborted = new Promise<never>((_, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  try {
    const result = await Promise.race([
      enabled.tool.execute(call.arguments, { signal, config: enabled.config, fetch: fetcher, allowPrivateUrls }),
      aborted,
    ]);
    return { call, status: "success", result: result ?? null, error: null, internal: false };
  } catch (err) {
    if (turnSignal.aborted) throw turnSignal.reason;
    if (err instanceof ToolError) return { call, status: "error", result: null, error: err.message, errorCode: err.code, internal: false };
    if (timeout.aborted) {
      return {
        call,
        status: "error",
        result: null,
        error: `Tool timed out after ${enabled.tool.timeoutMs} ms`,
        errorCode: enabled.tool.timeoutCode ?? null,
        internal: false,
      };
    }
    logLine("error", { msg: "tool failed", ...logFields, tool: call.name, tool_call_id: call.id, error: describeError(err) });
    return { call, status: "error", result: null, error: "The tool failed unexpectedly", internal: true };
  }
}
