import { positiveIntVar } from "../lib/env-int";
import { ApiError } from "../lib/errors";

/**
 * The one harness of this API: the built-in turn loop (src/session/turns.ts and turn-runner.ts).
 * Upstream Everruns has many; agents and sessions here all run on this one, and say so with
 * `harness_id`, which the official SDKs require.
 */
export const BUILTIN_HARNESS_ID = "harness_00000000000000000000000000000001";
const BUILTIN_HARNESS_NAME = "generic";
/** A fixed date: the harness is part of the code, not a row. */
const CREATED_AT = "2026-01-01T00:00:00.000Z";

export interface Harness {
  id: string;
  name: string;
  display_name: string;
  description: string;
  status: "active";
  max_iterations: number;
  behavior: string[];
  created_at: string;
  updated_at: string;
}

/** The built-in harness as the API shows it, with this deployment's iteration limit. */
export function builtinHarness(env: { TURN_MAX_ITERATIONS?: string | undefined }): Harness {
  return {
    id: BUILTIN_HARNESS_ID,
    name: BUILTIN_HARNESS_NAME,
    display_name: "Built-in turn loop",
    description:
      "Reason, then act: the model is called with the agent's system prompt, its capabilities' prompt additions and tools, " +
      "and the conversation; tool calls run (built-in tools in parallel, each with its own timeout; client-side tools wait " +
      "for POST …/tool-results) and the model is called again, until a reply has no tool calls or the iteration limit is reached.",
    status: "active",
    max_iterations: positiveIntVar(env.TURN_MAX_ITERATIONS, 25),
    behavior: [
      "One turn at a time per session; messages sent during a turn queue (FIFO) and run next.",
      "Every turn ends with exactly one of turn.completed, turn.failed or turn.cancelled.",
      "Provider failures end the turn with turn.failed and a stable error_code; the session goes back to idle.",
      "A turn past its deadline (TURN_DEADLINE_MS) fails with turn_timeout; " +
        "a turn waiting longer than TOOL_RESULTS_TIMEOUT_MS for client-side tool results fails with tool_results_timeout.",
    ],
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
  };
}

/**
 * Checks the harness a create call names (`harness_id` or `harness_name`, as the SDKs send):
 * anything but the built-in one is a 422 naming the field.
 */
export function assertBuiltinHarness(input: { harness_id?: string | null | undefined; harness_name?: string | null | undefined }): void {
  const errors = [];
  if (input.harness_id != null && input.harness_id !== BUILTIN_HARNESS_ID)
    errors.push({ path: "body.harness_id", message: `Only ${BUILTIN_HARNESS_ID} (${BUILTIN_HARNESS_NAME})` });
  if (input.harness_name != null && input.harness_name !== BUILTIN_HARNESS_NAME)
    errors.push({ path: "body.harness_name", message: `Only ${BUILTIN_HARNESS_NAME}` });
  if (errors.length > 0) throw new ApiError("unknown_harness", { errors });
}
