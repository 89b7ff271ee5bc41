import { and, count, desc, eq, type SQL } from "drizzle-orm";
import type { z } from "@hono/zod-openapi";
import type { Database } from "../db/client";
import { sessions } from "../db/schema";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { nowIso } from "../lib/time";
import type { CreateSessionInput, SessionSchema } from "../schemas/sessions";
import { getAgentRow } from "./agents";
import { assertModelInOrg } from "./models";

export type SessionRow = typeof sessions.$inferSelect;
export type Session = z.infer<typeof SessionSchema>;

/** The one mapping from a session row to the API object. */
export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    agent_id: row.agentId,
    title: row.title ?? null,
    tags: row.tags,
    model_id: row.modelId ?? null,
    status: row.status,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    started_at: row.startedAt ?? null,
    finished_at: row.finishedAt ?? null,
    usage: { input_tokens: row.inputTokens, output_tokens: row.outputTokens },
  };
}

/** A session of the org, or 404 (the same 404 for another org's id). */
export async function getSessionRow(db: Database, orgId: string, sessionId: string): Promise<SessionRow> {
  const row = await db.select().from(sessions).where(and(eq(sessions.id, sessionId), eq(sessions.orgId, orgId))).get();
  if (!row) throw new ApiError("session_not_found");
  return row;
}

/** Creates a session for an active agent of the org: 404 unknown agent, 422 archived agent. */
export async function createSession(db: Database, orgId: string, agentId: string, input: CreateSessionInput): Promise<Session> {
  const agent = await getAgentRow(db, orgId, agentId);
  if (agent.status === "archived") throw new ApiError("agent_archived", { detail: "Sessions cannot be created for an archived agent" });
  await assertModelInOrg(db, orgId, input.model_id, "body.model_id");
  const now = nowIso();
  const row: SessionRow = {
    id: newId("session"),
    orgId,
    agentId,
    title: input.title ?? null,
    tags: input.tags,
    modelId: input.model_id ?? null,
    status: "started",
    inputTokens: 0,
    outputTokens: 0,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
  };
  await db.insert(sessions).values(row);
  return toSession(row);
}

/** A page of the org's sessions, newest first; ties on `created_at` broken by id so pages never overlap. */
export async function listSessions(
  db: Database,
  orgId: string,
  page: { offset: number; limit: number; agentId?: string | undefined },
): Promise<{ data: Session[]; total: number; offset: number; limit: number }> {
  const filters: SQL[] = [eq(sessions.orgId, orgId)];
  if (page.agentId) filters.push(eq(sessions.agentId, page.agentId));
  const where = and(...filters);
  const [rows, totals] = await db.batch([
    db.select().from(sessions).where(where).orderBy(desc(sessions.createdAt), desc(sessions.id)).limit(page.limit).offset(page.offset),
    db.select({ total: count() }).from(sessions).where(where),
  ]);
  return { data: rows.map(toSession), total: totals[0]?.total ?? 0, offset: page.offset, limit: page.limit };
}

/**
 * Sets only the sent fields and answers with the row as stored after the write (RETURNING), so
 * status and usage written by the session's Durable Object meanwhile are current.
 */
export async function updateSession(
  db: Database,
  orgId: string,
  sessionId: string,
  input: { title?: string | null | undefined; tags?: string[] | undefined },
): Promise<Session> {
  const set: Partial<SessionRow> = { updatedAt: nowIso() };
  if (input.title !== undefined) set.title = input.title;
  if (input.tags !== undefined) set.tags = input.tags;
  const row = await db.update(sessions).set(set).where(and(eq(sessions.id, sessionId), eq(sessions.orgId, orgId))).returning().get();
  if (!row) throw new ApiError("session_not_found");
  return toSession(row);
}
