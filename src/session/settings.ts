import type { Env } from "../env";
import { positiveIntVar as intVar } from "../lib/env-int";

export interface TurnSettings {
  maxIterations: number;
  /** At most one `message.delta` per this many milliseconds (deltas in between are joined). */
  deltaBatchMs: number;
  /** A turn running longer than this is ended by the watchdog with `turn_timeout`. */
  deadlineMs: number;
  /** How often the watchdog alarm checks a running turn. */
  watchdogMs: number;
  /** A turn waiting longer than this for client-side tool results fails with `tool_results_timeout`. */
  toolResultsTimeoutMs: number;
  /** A call waiting longer than this for a person's approval is rejected (`tool_approval_timeout`). */
  toolApprovalTimeoutMs: number;
  /** How long one MCP `tools/call` may take (`mcp_timeout`). */
  mcpToolTimeoutMs: number;
}

export function turnSettings(env: Env): TurnSettings {
  return {
    maxIterations: intVar(env.TURN_MAX_ITERATIONS, 25),
    deltaBatchMs: intVar(env.TURN_DELTA_BATCH_MS, 100),
    deadlineMs: intVar(env.TURN_DEADLINE_MS, 10 * 60_000),
    watchdogMs: intVar(env.TURN_WATCHDOG_MS, 30_000),
    toolResultsTimeoutMs: intVar(env.TOOL_RESULTS_TIMEOUT_MS, 10 * 60_000),
    toolApprovalTimeoutMs: intVar(env.TOOL_APPROVAL_TIMEOUT_MS, 15 * 60_000),
    mcpToolTimeoutMs: intVar(env.MCP_TOOL_TIMEOUT_MS, 60_000),
  };
}
