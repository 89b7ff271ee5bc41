import { and, count, desc, eq, type SQL } from "drizzle-orm";
import type { Database } from "../db/client";
import { agents, llmModels, sessions } from "../db/schema";
import type { Env } from "../env";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { toSession, type CreateSessionInput, type Session } from "../schemas/sessions";
import { isRefusal, sessionStub, type Page, type Refusal } from "../session/rpc";

/**
 * Creates a session for an active agent of the org (404 unknown agent, 422 archived agent or
 * unknown model; one D1 round trip checks both). The session's object is initialised first: it
 * owns the session, and it writes the session's row in the D1 index itself.
 */
export async function createSession(env: Env, db: Database, orgId: string, agentId: string, input: CreateSessionInput): Promise<Session> {
  const [agentRows, modelRows] = await db.batch([
    db.select({ status: agents.status }).from(agents).where(and(eq(agents.id, agentId), eq(agents.orgId, orgId))),
    db.select({ id: llmModels.id }).from(llmModels).where(and(eq(llmModels.id, input.model_id ?? ""), eq(llmModels.orgId, orgId))),
  ]);
  const agent = agentRows[0];
  if (!agent) throw new ApiError("agent_not_found");
  if (agent.status === "archived") throw new ApiError("agent_archived", { detail: "Sessions cannot be created for an archived agent" });
  if (input.model_id && modelRows.length === 0) {
    throw new ApiError("unknown_model", { detail: "The model does not exist in this organization", errors: [{ path: "body.model_id", message: "Unknown model" }] });
  }
  const sessionId = newId("session");
  const session = await sessionStub(env, sessionId).init({
    sessionId,
    orgId,
    agentId,
    title: input.title ?? null,
    tags: input.tags,
    modelId: input.model_id ?? null,
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
  page: { offset: number; limit: number; agentId?: string | undefined; agentMustExist?: boolean },
): Promise<Page<Session>> {
  const filters: SQL[] = [eq(sessions.orgId, orgId)];
  if (page.agentId) filters.push(eq(sessions.agentId, page.agentId));
  const where = and(...filters);
  const [rows, totals, agentRows] = await db.batch([
    db.select().from(sessions).where(where).orderBy(desc(sessions.createdAt), desc(sessions.id)).limit(page.limit).offset(page.offset),
    db.select({ total: count() }).from(sessions).where(where),
    db.select({ id: agents.id }).from(agents).where(and(eq(agents.id, page.agentId ?? ""), eq(agents.orgId, orgId))),
  ]);
  if (page.agentMustExist && agentRows.length === 0) throw new ApiError("agent_not_found");
  return { data: rows.map(toSession), total: totals[0]?.total ?? 0, offset: page.offset, limit: page.limit };
}

/** The value of a session object's answer, or the catalogue error its refusal stands for. */
export function answered<T>(result: T): Exclude<T, Refusal> {
  if (!isRefusal(result)) return result as Exclude<T, Refusal>;
  if (result.refused === "invalid_cursor") {
    throw new ApiError("invalid_cursor", { errors: [{ path: result.path, message: "Not an event id this session handed out" }] });
  }
  throw new ApiError("session_not_found");
}
