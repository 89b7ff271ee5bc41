import { isId } from "../lib/ids";

/**
 * What an agent's capability entry (`{ref, config}`) can say beyond its id: `mcp:<mcp_server_id>`
 * refs, the MCP allow-list `config.tools`, and the approval gate `config.require_approval`
 * (`true`, or a list of tool names), valid on every capability.
 */

const MCP_PREFIX = "mcp:";

/** The MCP server id a ref names (`mcp:mcpsrv_…`), or null for any other ref. */
export function mcpServerIdOf(ref: string): string | null {
  if (!ref.startsWith(MCP_PREFIX)) return null;
  const id = ref.slice(MCP_PREFIX.length);
  return isId("mcpsrv", id) ? id : null;
}

/** Whether a ref is meant as an MCP ref (it may still name no server). */
export function isMcpRef(ref: string): boolean {
  return ref.startsWith(MCP_PREFIX);
}

/** Which tools of a capability wait for a person: all, some (by name), or none. */
export type ApprovalRule = true | ReadonlySet<string> | null;

/** The approval rule a capability's config sets (validated when the agent was stored). */
export function approvalRuleOf(config: Record<string, unknown>): ApprovalRule {
  const rule = config.require_approval;
  if (rule === true) return true;
  if (Array.isArray(rule)) return new Set(rule.filter((n): n is string => typeof n === "string"));
  return null;
}

/** Whether a rule gates a tool, named by its own name or (for MCP) also its name as the model sees it. */
export function gates(rule: ApprovalRule, ...names: string[]): boolean {
  if (rule === null) return false;
  if (rule === true) return true;
  return names.some((n) => rule.has(n));
}

/**
 * The config a turn runs a ref with when the agent and the session both name it: the session's,
 * with every tool either one gates still gated. A session can add a gate, never lift the agent's.
 */
export function sessionConfigOver(agent: Record<string, unknown>, session: Record<string, unknown>): Record<string, unknown> {
  const [a, b] = [approvalRuleOf(agent), approvalRuleOf(session)];
  if (a === null) return session;
  const union = a === true || b === true ? true : [...new Set([...a, ...(b ?? [])])];
  return { ...session, require_approval: union };
}

/** The MCP allow-list of a capability's config, or null for every tool. */
export function mcpAllowListOf(config: Record<string, unknown>): ReadonlySet<string> | null {
  return Array.isArray(config.tools) ? new Set(config.tools.filter((n): n is string => typeof n === "string")) : null;
}

const isNameList = (v: unknown) =>
  Array.isArray(v) && v.length <= 256 && v.every((n) => typeof n === "string" && n.length > 0 && n.length <= 128);

/** What is wrong with an entry's config, as `[field, message]` pairs (empty when nothing is). */
export function configProblems(ref: string, config: Record<string, unknown>): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const approval = config.require_approval;
  if (approval !== undefined && typeof approval !== "boolean" && !isNameList(approval)) {
    problems.push(["require_approval", "Must be true, false or a list of tool names"]);
  }
  if (isMcpRef(ref) && config.tools !== undefined && !isNameList(config.tools))
    problems.push(["tools", "Must be a list of the server's tool names"]);
  return problems;
}
