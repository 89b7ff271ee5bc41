import { and, count, desc, eq, inArray } from "drizzle-orm";
import type { Database } from "../db/client";
import { mcpServers } from "../db/schema";
import { type EncryptionEnv, encryptSecret, reencryptSecret } from "../lib/encryption";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { describeError, logLine } from "../lib/log";
import { isUniqueViolation } from "../lib/redact";
import { nowIso } from "../lib/time";
import { listMcpTools, McpFailure, type McpToolDefinition } from "../mcp/client";
import { mcpTargetOf } from "../mcp/target";
import { type McpUrlEnv, mcpUrlRefusal, privateMcpUrlsAllowed } from "../mcp/url-policy";
import { type CreateMcpServerInput, MCP_LIMITS, type McpServer, toMcpServer, type UpdateMcpServerInput } from "../schemas/mcp-servers";

export type McpServerRow = typeof mcpServers.$inferSelect;

/** How long listing a server's tools for a request may take (the console waits on it). */
const MCP_LIST_TIMEOUT_MS = 10_000;

/** The columns of the index that keeps an org's server names unique, as SQLite names them. */
const NAME_INDEX = "mcp_servers.org_id, mcp_servers.name";

/** A server of the org, or 404 `mcp_server_not_found` (the same for another org's id). */
export async function getMcpServerRow(db: Database, orgId: string, id: string): Promise<McpServerRow> {
  const row = await db
    .select()
    .from(mcpServers)
    .where(and(eq(mcpServers.id, id), eq(mcpServers.orgId, orgId)))
    .get();
  if (!row) throw new ApiError("mcp_server_not_found");
  return row;
}

/** The org's servers, newest first (at most MCP_LIMITS.serversPerOrg). */
export async function listMcpServerRows(db: Database, orgId: string): Promise<McpServerRow[]> {
  return db.select().from(mcpServers).where(eq(mcpServers.orgId, orgId)).orderBy(desc(mcpServers.createdAt), desc(mcpServers.id));
}

/** The org's servers among `ids` (unknown ids and other orgs' are left out). */
export async function mcpServerRowsByIds(db: Database, orgId: string, ids: readonly string[]): Promise<McpServerRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(mcpServers)
    .where(and(eq(mcpServers.orgId, orgId), inArray(mcpServers.id, [...ids])));
}

/** 422 naming body.url when the MCP URL policy refuses it (a private or plain-http URL while ALLOW_PRIVATE_MCP_URLS is off). */
function assertUrlAllowed(env: McpUrlEnv, url: string | undefined): void {
  if (url === undefined) return;
  const refusal = mcpUrlRefusal(url, privateMcpUrlsAllowed(env));
  if (refusal !== null) throw new ApiError("mcp_url_not_allowed", { errors: [{ path: "body.url", message: refusal }] });
}

/** Runs a write that may give the org a second server of one name: the unique index decides, and that is the 409. */
async function naming<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!isUniqueViolation(err, NAME_INDEX)) throw err;
    throw new ApiError("mcp_server_name_taken", {
      errors: [{ path: "body.name", message: "Already used by another MCP server of the organization" }],
    });
  }
}

async function sealHeaders(env: EncryptionEnv, headers: Record<string, string> | null | undefined, id: string): Promise<string | null> {
  return headers && Object.keys(headers).length > 0 ? encryptSecret(env, JSON.stringify(headers), id) : null;
}

/** Registers a server: URL policy, the org's limit, a unique name; its headers are sealed to the new id before anything is stored. */
export async function createMcpServer(
  db: Database,
  env: EncryptionEnv & McpUrlEnv,
  orgId: string,
  input: CreateMcpServerInput,
): Promise<McpServer> {
  assertUrlAllowed(env, input.url);
  const existing = await db.select({ n: count() }).from(mcpServers).where(eq(mcpServers.orgId, orgId)).get();
  if ((existing?.n ?? 0) >= MCP_LIMITS.serversPerOrg) {
    throw new ApiError("invalid_state", { detail: `An organization can register at most ${MCP_LIMITS.serversPerOrg} MCP servers` });
  }
  const id = newId("mcpsrv");
  const now = nowIso();
  const headersEncrypted = await sealHeaders(env, input.headers, id);
  const row = await naming(() =>
    db
      .insert(mcpServers)
      .values({ id, orgId, name: input.name, url: input.url, headersEncrypted, createdAt: now, updatedAt: now })
      .returning()
      .get(),
  );
  return toMcpServer(row);
}

/** The ciphertext after an update: new headers are sealed, null removes them, untouched ones are re-sealed with the current key. */
async function nextHeaders(
  env: EncryptionEnv,
  row: McpServerRow,
  headers: Record<string, string> | null | undefined,
): Promise<string | null> {
  if (headers !== undefined) return sealHeaders(env, headers, row.id);
  return row.headersEncrypted === null ? null : reencryptSecret(env, row.headersEncrypted, row.id);
}

/** Partial update; a new URL must pass the policy, a new name must be free. */
export async function updateMcpServer(
  db: Database,
  env: EncryptionEnv & McpUrlEnv,
  orgId: string,
  id: string,
  input: UpdateMcpServerInput,
): Promise<McpServer> {
  assertUrlAllowed(env, input.url);
  const row = await getMcpServerRow(db, orgId, id);
  const headersEncrypted = await nextHeaders(env, row, input.headers);
  const updated = await naming(() =>
    db
      .update(mcpServers)
      .set({ name: input.name ?? row.name, url: input.url ?? row.url, headersEncrypted, updatedAt: nowIso() })
      .where(and(eq(mcpServers.id, id), eq(mcpServers.orgId, orgId)))
      .returning()
      .get(),
  );
  if (!updated) throw new ApiError("mcp_server_not_found");
  return toMcpServer(updated);
}

/** Removes a server. Agents that name it keep the ref; their turns leave its tools out. */
export async function deleteMcpServer(db: Database, orgId: string, id: string): Promise<void> {
  const deleted = await db
    .delete(mcpServers)
    .where(and(eq(mcpServers.id, id), eq(mcpServers.orgId, orgId)))
    .returning({ id: mcpServers.id })
    .get();
  if (!deleted) throw new ApiError("mcp_server_not_found");
}

/**
 * A server's tools, live. The URL policy is checked again (the setting may have changed since the
 * server was registered); a refused URL, an unreachable or failing server is 502 `mcp_unavailable`.
 */
export async function liveMcpTools(
  env: EncryptionEnv & McpUrlEnv,
  row: McpServerRow,
  timeoutMs = MCP_LIST_TIMEOUT_MS,
): Promise<McpToolDefinition[]> {
  const refusal = mcpUrlRefusal(row.url, privateMcpUrlsAllowed(env));
  if (refusal !== null)
    throw new ApiError("mcp_unavailable", { detail: "The MCP server's URL is not allowed by this deployment's URL policy" });
  try {
    return await listMcpTools(await mcpTargetOf(env, row), { timeoutMs });
  } catch (err) {
    if (err instanceof McpFailure) {
      logLine("warn", { msg: "mcp server unavailable", mcp_server_id: row.id, code: err.code, error: describeError(err) });
      const detail =
        err.code === "mcp_timeout"
          ? "The MCP server did not answer in time"
          : "The MCP server could not be reached or did not answer as MCP";
      throw new ApiError("mcp_unavailable", { detail, cause: err });
    }
    throw err;
  }
}
