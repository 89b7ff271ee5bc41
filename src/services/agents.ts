import { and, asc, count, desc, eq, getTableColumns, inArray, type SQL } from "drizzle-orm";
import { configProblems, isMcpRef, mcpServerIdOf } from "../capabilities/refs";
import { isKnownCapability } from "../capabilities/registry";
import type { Database } from "../db/client";
import { agentCapabilities, agents } from "../db/schema";
import { chunk, rowsPerInsert } from "../lib/d1-params";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { contains } from "../lib/sql";
import { nowIso } from "../lib/time";
import type { CapabilityRefValue, CreateAgentInput, UpdateAgentInput } from "../schemas/agents";
import { type Agent, toAgent } from "../schemas/agents";
import { assertToolNamesFree, refuseUpstreamOnly } from "./compat";
import { mcpServerRowsByIds } from "./mcp-servers";
import { assertModelInOrg } from "./models";

type AgentRow = typeof agents.$inferSelect;

/**
 * 422 naming every unknown capability id: a built-in one, or `mcp:<id>` of an MCP server of the
 * org (one D1 read, only when an MCP ref is named); 400 for a config the gate or the MCP
 * allow-list cannot read.
 */
export async function assertKnownCapabilities(db: Database, orgId: string, refs: CapabilityRefValue[]): Promise<void> {
  const invalid = refs.flatMap((c, i) =>
    configProblems(c.ref, c.config).map(([field, message]) => ({ path: `body.capabilities.${i}.config.${field}`, message })),
  );
  if (invalid.length > 0) throw new ApiError("validation_failed", { errors: invalid });
  const mcpIds = refs.map((c) => mcpServerIdOf(c.ref)).filter((id): id is string => id !== null);
  const servers = new Set((await mcpServerRowsByIds(db, orgId, mcpIds)).map((r) => r.id));
  const errors = refs
    .map((c, i) => ({ ref: c.ref, i }))
    .filter(({ ref }) => (isMcpRef(ref) ? !servers.has(mcpServerIdOf(ref) ?? "") : !isKnownCapability(ref)))
    .map(({ i }) => ({ path: `body.capabilities.${i}`, message: "Unknown capability id" }));
  if (errors.length > 0) throw new ApiError("unknown_capability", { detail: "One or more capability ids are unknown", errors });
}

/** Capability rows matching `where`, grouped per agent in position order. */
function capabilityQuery(db: Database, where: SQL) {
  return db.select().from(agentCapabilities).where(where).orderBy(asc(agentCapabilities.agentId), asc(agentCapabilities.position));
}

function groupCapabilities(rows: (typeof agentCapabilities.$inferSelect)[]): Map<string, CapabilityRefValue[]> {
  const byAgent = new Map<string, CapabilityRefValue[]>();
  for (const row of rows) {
    const list = byAgent.get(row.agentId) ?? [];
    list.push({ ref: row.ref, config: row.config });
    byAgent.set(row.agentId, list);
  }
  return byAgent;
}

/** Capability rows carry this many bound values each, so an INSERT holds at most this many rows. */
const CAPABILITY_ROWS_PER_INSERT = rowsPerInsert(Object.keys(getTableColumns(agentCapabilities)).length);

/**
 * The INSERTs that store an agent's capabilities in order, each within D1's bound-parameter
 * limit; the caller runs them in the same `db.batch` as the agent row.
 */
export function capabilityInserts(db: Database, agentId: string, refs: CapabilityRefValue[]) {
  const rows = refs.map((c, position) => ({ agentId, position, ref: c.ref, config: c.config }));
  return chunk(rows, CAPABILITY_ROWS_PER_INSERT).map((slice) => db.insert(agentCapabilities).values(slice));
}

/** An agent of the org (archived too), or 404 — the same 404 for another org's id. */
async function getAgentRow(db: Database, orgId: string, agentId: string): Promise<AgentRow> {
  const row = await db
    .select()
    .from(agents)
    .where(and(eq(agents.id, agentId), eq(agents.orgId, orgId)))
    .get();
  if (!row) throw new ApiError("agent_not_found");
  return row;
}

/** An agent of the org with its capabilities, read in one round trip; 404 as getAgentRow. */
export async function getAgent(db: Database, orgId: string, agentId: string): Promise<Agent> {
  // The capabilities are selected by the path's id alone; another org's rows are never shown,
  // because without the agent row (filtered by org) the answer is a 404.
  const [rows, caps] = await db.batch([
    db
      .select()
      .from(agents)
      .where(and(eq(agents.id, agentId), eq(agents.orgId, orgId))),
    capabilityQuery(db, eq(agentCapabilities.agentId, agentId)),
  ]);
  const row = rows[0];
  if (!row) throw new ApiError("agent_not_found");
  return toAgent(row, groupCapabilities(caps).get(row.id) ?? []);
}

/**
 * A page of the org's active agents, newest first (ties on `created_at` broken by id, so pages
 * never overlap). Rows, total and capabilities are read in one batch: one consistent snapshot,
 * and the capabilities are selected by a subquery, so no id list is bound.
 */
export async function listAgents(
  db: Database,
  orgId: string,
  page: { offset: number; limit: number; search?: string | undefined },
): Promise<{ data: Agent[]; total: number; offset: number; limit: number }> {
  const where = and(eq(agents.orgId, orgId), eq(agents.status, "active"), page.search ? contains(agents.name, page.search) : undefined);
  const pageRows = db
    .select()
    .from(agents)
    .where(where)
    .orderBy(desc(agents.createdAt), desc(agents.id))
    .limit(page.limit)
    .offset(page.offset);
  // The capabilities of exactly that page, found through the page query itself (no ids bound).
  const pageAgents = pageRows.as("page_agents");
  const [rows, totals, caps] = await db.batch([
    pageRows,
    db.select({ total: count() }).from(agents).where(where),
    capabilityQuery(db, inArray(agentCapabilities.agentId, db.select({ id: pageAgents.id }).from(pageAgents))),
  ]);
  const byAgent = groupCapabilities(caps);
  return {
    data: rows.map((r) => toAgent(r, byAgent.get(r.id) ?? [])),
    total: totals[0]?.total ?? 0,
    offset: page.offset,
    limit: page.limit,
  };
}

export async function createAgent(db: Database, orgId: string, input: CreateAgentInput): Promise<Agent> {
  refuseUpstreamOnly(input);
  await assertKnownCapabilities(db, orgId, input.capabilities);
  assertToolNamesFree(input.tools, input.capabilities);
  const modelId = input.default_model_id ?? input.model;
  await assertModelInOrg(db, orgId, modelId, input.model === undefined ? "body.default_model_id" : "body.model");
  const now = nowIso();
  const row: AgentRow = {
    id: newId("agent"),
    orgId,
    name: input.name,
    description: input.description ?? null,
    systemPrompt: input.system_prompt,
    defaultModelId: modelId ?? null,
    tags: input.tags,
    tools: input.tools,
    parallelToolCalls: input.parallel_tool_calls ?? null,
    status: "active",
    createdAt: now,
    updatedAt: now,
  };
  await db.batch([db.insert(agents).values(row), ...capabilityInserts(db, row.id, input.capabilities)]);
  return toAgent(row, input.capabilities);
}

/** The columns a PATCH sets: only the fields it sent, so concurrent updates of other fields are kept. */
function changedColumns(input: UpdateAgentInput): Partial<AgentRow> {
  const set: Partial<AgentRow> = { updatedAt: nowIso() };
  if (input.name !== undefined) set.name = input.name;
  if (input.description !== undefined) set.description = input.description;
  if (input.system_prompt !== undefined) set.systemPrompt = input.system_prompt;
  if (input.default_model_id !== undefined) set.defaultModelId = input.default_model_id;
  if (input.tags !== undefined) set.tags = input.tags;
  if (input.tools !== undefined) set.tools = input.tools;
  if (input.parallel_tool_calls !== undefined) set.parallelToolCalls = input.parallel_tool_calls;
  if (input.status !== undefined) set.status = input.status;
  return set;
}

/** Partial update; `capabilities` replaces the list atomically with the row. */
export async function updateAgent(db: Database, orgId: string, agentId: string, input: UpdateAgentInput): Promise<Agent> {
  // Checked first: the capability writes below are keyed by agent id alone.
  const current = await getAgentRow(db, orgId, agentId);
  if (input.capabilities) await assertKnownCapabilities(db, orgId, input.capabilities);
  if (input.tools || input.capabilities) {
    const capabilities = input.capabilities ?? (await capabilityQuery(db, eq(agentCapabilities.agentId, agentId)));
    assertToolNamesFree(input.tools ?? current.tools, capabilities);
  }
  await assertModelInOrg(db, orgId, input.default_model_id, "body.default_model_id");
  const update = db
    .update(agents)
    .set(changedColumns(input))
    .where(and(eq(agents.id, agentId), eq(agents.orgId, orgId)))
    .returning();
  if (input.capabilities) {
    const [updated] = await db.batch([
      update,
      db.delete(agentCapabilities).where(eq(agentCapabilities.agentId, agentId)),
      ...capabilityInserts(db, agentId, input.capabilities),
    ]);
    return toAgent(updatedRow(updated), input.capabilities);
  }
  const [updated, caps] = await db.batch([update, capabilityQuery(db, eq(agentCapabilities.agentId, agentId))]);
  return toAgent(updatedRow(updated), groupCapabilities(caps).get(agentId) ?? []);
}

/** The row an UPDATE … RETURNING gave back; none means the agent vanished meanwhile. */
function updatedRow(rows: AgentRow[]): AgentRow {
  const [row] = rows;
  if (!row) throw new ApiError("agent_not_found");
  return row;
}

/** DELETE archives: only an active agent can be archived, so a second DELETE is a 404. */
export async function archiveAgent(db: Database, orgId: string, agentId: string): Promise<void> {
  const result = await db
    .update(agents)
    .set({ status: "archived", updatedAt: nowIso() })
    .where(and(eq(agents.id, agentId), eq(agents.orgId, orgId), eq(agents.status, "active")))
    .run();
  if (result.meta.changes === 0) throw new ApiError("agent_not_found");
}
