import { and, count, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { BookmarkNotes } from "../db/bookmarks";
import type { Database } from "../db/client";
import { agentCapabilities, agents, llmModels, sessions } from "../db/schema";
import type { Env } from "../env";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { contains } from "../lib/sql";
import { type CreateSessionInput, type Session, toSession } from "../schemas/sessions";
import type { Page } from "../session/rpc";
import { assertKnownCapabilities } from "./agents";
import { assertCapabilitiesFree, assertToolNamesFree, refuseUpstreamOnly } from "./compat";
import { SessionClient } from "./session-client";

/** Who a new session is for: an agent id, or (the SDKs' `agent_name`) the newest active agent with that name. */
export type AgentChoice = { id: string } | { name: string };

/**
 * Creates a session for an active agent of the org (404 unknown agent, 422 archived agent,
 * unknown model or capability, another harness, or an upstream-only field that is set; one D1
 * round trip checks the agent and the model). The session's object is initialised first: it owns
 * the session, and it writes the session's row in the D1 index itself.
 */
export async function createSession(
  env: Env,
  db: Database,
  orgId: string,
  agent: AgentChoice,
  input: CreateSessionInput,
  bookmarks: BookmarkNotes,
): Promise<Session> {
  refuseUpstreamOnly(input);
  await assertKnownCapabilities(db, orgId, input.capabilities);
  const agentWhere = "id" in agent ? eq(agents.id, agent.id) : and(eq(agents.name, agent.name), eq(agents.status, "active"));
  const chosen = db
    .select({ id: agents.id, status: agents.status, tools: agents.tools })
    .from(agents)
    .where(and(agentWhere, eq(agents.orgId, orgId)))
    .orderBy(desc(agents.createdAt))
    .limit(1);
  const [agentRows, capabilityRows, modelRows] = await db.batch([
    chosen,
    db
      .select({ ref: agentCapabilities.ref })
      .from(agentCapabilities)
      .where(inArray(agentCapabilities.agentId, db.select({ id: sql`id` }).from(chosen.as("chosen")))),
    db
      .select({ id: llmModels.id })
      .from(llmModels)
      .where(and(eq(llmModels.id, input.model_id ?? ""), eq(llmModels.orgId, orgId))),
  ]);
  const found = agentRows[0];
  if (!found) throw new ApiError("agent_not_found");
  if (found.status === "archived") throw new ApiError("agent_archived", { detail: "Sessions cannot be created for an archived agent" });
  // No client-side tool (the agent's or the session's) may share a name with a tool of the capabilities it runs with.
  const capabilities = [...capabilityRows, ...input.capabilities];
  assertToolNamesFree(input.tools, capabilities);
  assertCapabilitiesFree(input.capabilities, found.tools);
  if (input.model_id && modelRows.length === 0) {
    throw new ApiError("unknown_model", {
      detail: "The model does not exist in this organization",
      errors: [{ path: "body.model_id", message: "Unknown model" }],
    });
  }
  const sessionId = newId("session");
  const session = await SessionClient.create(env, bookmarks, {
    sessionId,
    orgId,
    agentId: found.id,
    title: input.title ?? null,
    tags: input.tags,
    modelId: input.model_id ?? null,
    locale: input.locale ?? null,
    capabilities: input.capabilities,
    tools: input.tools,
    parallelToolCalls: input.parallel_tool_calls ?? null,
  });
  if (!session) throw new Error("a new session id named an existing session object");
  return session;
}

/**
 * A page of the org's sessions from the D1 index, newest first; ties on `created_at` broken by id
 * so pages never overlap. With `agentMustExist`, an agent that is not the org's is a 404, checked
 * in the same batch (one round trip).
 */
export async function listSessions(
  db: Database,
  orgId: string,
  page: { offset: number; limit: number; agentId?: string | undefined; agentMustExist?: boolean; search?: string | undefined },
): Promise<Page<Session>> {
  const filters: SQL[] = [eq(sessions.orgId, orgId)];
  if (page.agentId) filters.push(eq(sessions.agentId, page.agentId));
  if (page.search) filters.push(contains(sessions.title, page.search));
  const where = and(...filters);
  const [rows, totals, agentRows] = await db.batch([
    db.select().from(sessions).where(where).orderBy(desc(sessions.createdAt), desc(sessions.id)).limit(page.limit).offset(page.offset),
    db.select({ total: count() }).from(sessions).where(where),
    db
      .select({ id: agents.id })
      .from(agents)
      .where(and(eq(agents.id, page.agentId ?? ""), eq(agents.orgId, orgId))),
  ]);
  if (page.agentMustExist && agentRows.length === 0) throw new ApiError("agent_not_found");
  return { data: rows.map(toSession), total: totals[0]?.total ?? 0, offset: page.offset, limit: page.limit };
}
