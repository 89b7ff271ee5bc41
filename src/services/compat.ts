import { assertBuiltinHarness } from "../harness/builtin";
import { ApiError, type FieldError } from "../lib/errors";

/** What create calls of agents and sessions may carry from the upstream Everruns API. */
interface UpstreamFields {
  harness_id?: string | null | undefined;
  harness_name?: string | null | undefined;
  initial_files?: unknown[] | undefined;
  mcpServers?: unknown;
  network_access?: unknown;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}

/**
 * Refuses what the official SDKs may send that this API does not have: another harness (422
 * `unknown_harness`), and set upstream-only fields (422 `unsupported_feature`, each field named).
 * Empty ones (the Python SDK always sends `initial_files: []`) mean nothing and pass.
 */
export function refuseUpstreamOnly(input: UpstreamFields): void {
  assertBuiltinHarness(input);
  const errors: FieldError[] = [];
  if (!isEmpty(input.initial_files)) errors.push({ path: "body.initial_files", message: "Initial files are not supported" });
  if (!isEmpty(input.mcpServers)) errors.push({ path: "body.mcpServers", message: "MCP servers are not supported" });
  if (!isEmpty(input.network_access)) errors.push({ path: "body.network_access", message: "Network access settings are not supported" });
  if (errors.length > 0) throw new ApiError("unsupported_feature", { errors });
}
