import { toolsFor } from "../capabilities/registry";
import { assertBuiltinHarness } from "../harness/builtin";
import { ApiError, type FieldError } from "../lib/errors";

/** What create calls of agents and sessions may carry from the upstream Everruns API. */
interface UpstreamFields {
  id?: string | undefined;
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
  if (input.id !== undefined) errors.push({ path: "body.id", message: "Ids are given by the server; update with PATCH" });
  if (!isEmpty(input.initial_files)) errors.push({ path: "body.initial_files", message: "Initial files are not supported" });
  if (!isEmpty(input.mcpServers)) errors.push({ path: "body.mcpServers", message: "MCP servers are not supported" });
  if (!isEmpty(input.network_access)) errors.push({ path: "body.network_access", message: "Network access settings are not supported" });
  if (errors.length > 0) throw new ApiError("unsupported_feature", { errors });
}

/**
 * 400 naming each client-side tool whose name a built-in tool of the enabled capabilities already
 * has: the model could not tell which is meant. (Other built-in names are free.)
 */
export function assertToolNamesFree(tools: readonly { name: string }[], capabilities: readonly { ref: string }[]): void {
  const taken = new Set(capabilities.flatMap((c) => toolNamesOf(c.ref)));
  const errors = tools.flatMap((tool, i) =>
    taken.has(tool.name) ? [{ path: `body.tools.${i}.name`, message: "A tool of an enabled capability has this name" }] : [],
  );
  if (errors.length > 0) throw new ApiError("validation_failed", { errors });
}

/** 400 naming each capability a session adds that has a tool named like one of the agent's client-side tools. */
export function assertCapabilitiesFree(capabilities: readonly { ref: string }[], agentTools: readonly { name: string }[]): void {
  const names = new Set(agentTools.map((t) => t.name));
  const errors = capabilities.flatMap((c, i) =>
    toolNamesOf(c.ref).some((name) => names.has(name))
      ? [{ path: `body.capabilities.${i}`, message: "Has a tool named like one of the agent's client-side tools" }]
      : [],
  );
  if (errors.length > 0) throw new ApiError("validation_failed", { errors });
}

function toolNamesOf(ref: string): string[] {
  return toolsFor([{ ref, config: {} }]).tools.map((t) => t.tool.name);
}
