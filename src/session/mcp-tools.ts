import { eq } from "drizzle-orm";
import { approvalRuleOf, gates, mcpAllowListOf, mcpServerIdOf } from "../capabilities/refs";
import type { CapabilityRef } from "../capabilities/registry";
import { type EnabledTool, type Tool, ToolError } from "../capabilities/types";
import type { mcpServers } from "../db/schema";
import type { Env } from "../env";
import { describeError, logLine } from "../lib/log";
import { callToolOn, McpFailure, type McpTarget, type McpToolDefinition, type McpToolResult, readToolList } from "../mcp/client";
import { McpSessionPool } from "../mcp/session-pool";
import { mcpTargetOf } from "../mcp/target";
import { isOfferableToolName, mcpToolName } from "../mcp/tool-names";
import { mcpUrlRefusal, privateMcpUrlsAllowed } from "../mcp/url-policy";
import type { SessionDb } from "./db/client";
import { mcpToolLists } from "./db/schema";

/**
 * How long a server's tool list, once fetched, serves the session's later turns without asking
 * the server again. The turn that fetched it reuses it however long it waits (a parked turn that
 * goes on after an approval offers the same tools). A server changed since (`updated_at`) is
 * listed again.
 */
const MCP_TOOL_LIST_TTL_MS = 60_000;

/** How long listing a server's tools may hold up the start of a turn. */
const LIST_TIMEOUT_MS = 10_000;

type McpServerRow = typeof mcpServers.$inferSelect;

/**
 * The MCP sessions of each session object, found by its storage handle (which lives exactly as
 * long as the object): a turn's list and calls, and the next turns', reuse one MCP session per
 * server (src/mcp/session-pool.ts). An evicted object's sessions are left to the server to expire.
 */
const pools = new WeakMap<SessionDb, McpSessionPool>();

function poolOf(db: SessionDb): McpSessionPool {
  let pool = pools.get(db);
  if (!pool) {
    pool = new McpSessionPool();
    pools.set(db, pool);
  }
  return pool;
}

/** A kept MCP session serves one version of a server: a change of its URL or headers (`updated_at`) opens a new one. */
const versionOf = (row: McpServerRow) => `${row.updatedAt} ${row.url}`;

export interface McpTurnInput {
  env: Env;
  db: SessionDb;
  sessionId: string;
  turnId: string;
  /** The turn's capability refs, in order (built-in ones are skipped here). */
  refs: readonly CapabilityRef[];
  /** The org's servers the refs name, as the turn's D1 read found them. */
  servers: readonly McpServerRow[];
  /** How long one tools/call may take. */
  callTimeoutMs: number;
}

/** The server's tools: from this session's cache when fresh (or fetched by this turn), else listed now and cached. */
async function toolList(input: McpTurnInput, row: McpServerRow, target: McpTarget): Promise<McpToolDefinition[]> {
  const cached = input.db.select().from(mcpToolLists).where(eq(mcpToolLists.serverId, row.id)).get();
  const now = Date.now();
  if (cached && cached.serverVersion === row.updatedAt && (cached.turnId === input.turnId || now - cached.fetchedAt < MCP_TOOL_LIST_TTL_MS))
    return cached.tools;
  const tools = await poolOf(input.db).run(row.id, versionOf(row), target, { timeoutMs: LIST_TIMEOUT_MS }, (client, signal) =>
    readToolList(client, signal, LIST_TIMEOUT_MS),
  );
  const values = { serverId: row.id, serverVersion: row.updatedAt, turnId: input.turnId, fetchedAt: now, tools };
  input.db.insert(mcpToolLists).values(values).onConflictDoUpdate({ target: mcpToolLists.serverId, set: values }).run();
  return tools;
}

/**
 * One server tool as a turn's tool: `tools/call` with the call timeout; `isError`, timeouts and
 * failures become ToolErrors with their code.
 */
function asTool(
  row: McpServerRow,
  definition: McpToolDefinition,
  target: McpTarget,
  input: Pick<McpTurnInput, "env" | "db" | "callTimeoutMs">,
): Tool {
  const { env, callTimeoutMs } = input;
  return {
    name: mcpToolName(row.name, definition.name),
    description: definition.description,
    parameters: definition.parameters,
    // The client's own timeout answers first (mcp_timeout); this is the runner's backstop.
    timeoutMs: callTimeoutMs + 1_000,
    timeoutCode: "mcp_timeout",
    async execute(args, context) {
      if (mcpUrlRefusal(target.url, privateMcpUrlsAllowed(env)) !== null) {
        throw new ToolError("The MCP server's URL is not allowed by this deployment's URL policy", "mcp_unavailable");
      }
      let answer: McpToolResult;
      try {
        const options = { timeoutMs: callTimeoutMs, signal: context.signal, fetch: context.fetch };
        answer = await poolOf(input.db).run(row.id, versionOf(row), target, options, (client, signal) =>
          callToolOn(client, definition.name, args, signal, callTimeoutMs),
        );
      } catch (err) {
        if (err instanceof McpFailure) throw new ToolError(err.message, err.code);
        throw err;
      }
      if (answer.isError) throw new ToolError(answer.text || "The MCP tool reported an error", "mcp_tool_error");
      return {
        text: answer.text,
        ...(answer.structured !== null ? { structured_content: answer.structured } : {}),
        ...(answer.content.length > 0 ? { content: answer.content } : {}),
      };
    },
  };
}

/**
 * The tools the turn's `mcp:<id>` refs give it, in the refs' order, each filtered by its
 * `config.tools` allow-list and marked for approval by `config.require_approval`. A server that
 * is gone (deleted), not allowed by the URL policy, or cannot list its tools is left out, and the
 * log says so: the turn goes on with the other tools.
 */
export async function mcpToolsForTurn(input: McpTurnInput): Promise<EnabledTool[]> {
  const byId = new Map(input.servers.map((row) => [row.id, row]));
  const log = (msg: string, serverId: string, extra: Record<string, unknown> = {}) =>
    logLine("warn", { msg, session_id: input.sessionId, turn_id: input.turnId, mcp_server_id: serverId, ...extra });
  const perRef = await Promise.all(
    input.refs.map(async ({ ref, config }): Promise<EnabledTool[]> => {
      const id = mcpServerIdOf(ref);
      if (id === null) return [];
      const row = byId.get(id);
      if (!row) {
        log("mcp server of a capability ref is gone: its tools are left out", id);
        return [];
      }
      if (mcpUrlRefusal(row.url, privateMcpUrlsAllowed(input.env)) !== null) {
        log("mcp server url is not allowed: its tools are left out", id);
        return [];
      }
      let target: McpTarget;
      let tools: McpToolDefinition[];
      try {
        target = await mcpTargetOf(input.env, row);
        tools = await toolList(input, row, target);
      } catch (err) {
        log("mcp server tools could not be listed: they are left out", id, {
          code: err instanceof McpFailure ? err.code : "internal",
          error: describeError(err),
        });
        return [];
      }
      const allow = mcpAllowListOf(config);
      const rule = approvalRuleOf(config);
      return tools
        .filter((t) => allow === null || allow.has(t.name) || allow.has(mcpToolName(row.name, t.name)))
        .filter((t) => isOfferableToolName(mcpToolName(row.name, t.name)))
        .map((t) => ({
          tool: asTool(row, t, target, input),
          config,
          requiresApproval: gates(rule, t.name, mcpToolName(row.name, t.name)),
        }));
    }),
  );
  return perRef.flat();
}
