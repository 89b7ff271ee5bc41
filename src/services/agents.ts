import { and, asc, desc, eq, inArray } from "drizzle-orm";
import type { z } from "@hono/zod-openapi";
import { isKnownCapability } from "../capabilities/registry";
import type { Database } from "../db/client";
import { agentCapabilities, agents } from "../db/schema";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { nowIso } from "../lib/time";
import { assertModelInOrg } from "./models";
import type { AgentSchema, CapabilityRefValue, CreateAgentInput, UpdateAgentInput } from "../schemas/agents";

type AgentRow = typeof agents.$inferSelect;
export type Agent = z.infer<typeof AgentSchema>;

/** The one mapping from an agent row (and its ordered capabilities) to the API object. */
export function toAgent(row: AgentRow, capabilities: CapabilityRefValue[]): Agent {
  return {
    id: row.id,
    name: row.name,
    description: row.description ?? null,
    system_prompt: row.systemPrompt,
    default_model_id: row.defaultModelId ?? null,
    capabilities,
    tags: row.tags,
    status: row.status,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/** 422 naming every unknown capability id. */
function assertKnownCapabilities(refs: CapabilityRefValue[]): void {
  const errors = refs
    .map((c, i) => ({ ref: c.ref, i }))
    .filter(({ ref }) => !isKnownCapability(ref))
    .map(({ i }) => ({ path: `body.capabilities.${i}`, message: "Unknown capability id" }));
  if (errors.length > 0) throw new ApiError("unknown_capability", { detail: "One or more capability ids are unknown", errors });
}

async function capabilitiesOf(db: Database, agentIds: string[]): Promise<Map<string, CapabilityRefValue[]>> {
  const byAgent = new Map<string, CapabilityRefValue[]>(agentIds.map((id) => [id, []]));
  if (agentIds.length === 0) return byAgent;
  const rows = await db
    .select()
    .from(agentCapabilities)
    .where(inArray(agentCapabilities.agentId, agentIds))
    .orderBy(asc(agentCapabilities.agentId), asc(agentCapabilities.position));
  for (const row of rows) byAgent.get(row.agentId)?.push({ ref: row.ref, config: row.config });
  return byAgent;
}

function capabilityRows(agentId: string, refs: CapabilityRefValue[]) {
  return refs.map((c, position) => ({ agentId, position, ref: c.ref, config: c.config }));
}

/** An agent of the org (archived too), or 404 — the same 404 for another org's id. */
export async function getAgentRow(db: Database, orgId: string, agentId: string): Promise<AgentRow> {
  const row = await db.select().from(agents).where(and(eq(agents.id, agentId), eq(agents.orgId, orgId))).get();
  if (!row) throw new ApiError("agent_not_found");
  return row;
}

export async function getAgent(db: Database, orgId: string, agentId: string): Promise<Agent> {
  const row = await getAgentRow(db, orgId, agentId);
  const caps = await capabilitiesOf(db, [row.id]);
  return toAgent(row, caps.get(row.id) ?? []);
}

/** Active agents, newest first. */
export async function listAgents(db: Database, orgId: string): Promise<Agent[]> {
  const rows = await db
    .select()
    .from(agents)
    .where(and(eq(agents.orgId, orgId), eq(agents.status, "active")))
    .orderBy(desc(agents.createdAt), desc(agents.id));
  const caps = await capabilitiesOf(db, rows.map((r) => r.id));
  return rows.map((r) => toAgent(r, caps.get(r.id) ?? []));
}

export async function createAgent(db: Database, orgId: string, input: CreateAgentInput): Promise<Agent> {
  assertKnownCapabilities(input.capabilities);
  await assertModelInOrg(db, orgId, input.default_model_id, "body.default_model_id");
  const now = nowIso();
  const row: AgentRow = {
    id: newId("agent"),
    orgId,
    name: input.name,
    description: input.description ?? null,
    systemPrompt: input.system_prompt,
    defaultModelId: input.default_model_id ?? null,
    tags: input.tags,
    status: "active",
    createdAt: now,
    updatedAt: now,
  };
  const caps = capabilityRows(row.id, input.capabilities);
  if (caps.length > 0) {
    await db.batch([db.insert(agents).values(row), db.insert(agentCapabilities).values(caps)]);
  } else {
    await db.insert(agents).values(row);
  }
  return toAgent(row, input.capabilities);
}

/** Partial update; `capabilities` replaces the list atomically with the row. */
export async function updateAgent(db: Database, orgId: string, agentId: string, input: UpdateAgentInput): Promise<Agent> {
  const current = await getAgentRow(db, orgId, agentId);
  if (input.capabilities) assertKnownCapabilities(input.capabilities);
  await assertModelInOrg(db, orgId, input.default_model_id, "body.default_model_id");
  const next: AgentRow = {
    ...current,
    name: input.name ?? current.name,
    description: input.description !== undefined ? input.description : current.description,
    systemPrompt: input.system_prompt ?? current.systemPrompt,
    defaultModelId: input.default_model_id !== undefined ? input.default_model_id : current.defaultModelId,
    tags: input.tags ?? current.tags,
    status: input.status ?? current.status,
    updatedAt: nowIso(),
  };
  const update = db.update(agents).set(next).where(and(eq(agents.id, agentId), eq(agents.orgId, orgId)));
  if (input.capabilities) {
    const caps = capabilityRows(agentId, input.capabilities);
    const replace = db.delete(agentCapabilities).where(eq(agentCapabilities.agentId, agentId));
    if (caps.length > 0) await db.batch([update, replace, db.insert(agentCapabilities).values(caps)]);
    else await db.batch([update, replace]);
    return toAgent(next, input.capabilities);
  }
  await update;
  return getAgent(db, orgId, agentId);
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
