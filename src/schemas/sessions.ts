import { z } from "@hono/zod-openapi";
import { boundedString, idString, TagsSchema } from "./common";

export const SESSION_STATUSES = ["started", "active", "idle", "waitingfortoolresults"] as const;

const Usage = z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() }).openapi("Usage");

export const SessionSchema = z
  .object({
    id: z.string().openapi({ example: "session_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    agent_id: z.string(),
    title: z.string().nullable(),
    tags: z.array(z.string()),
    model_id: z.string().nullable(),
    status: z.enum(SESSION_STATUSES).openapi({
      description:
        "`started`: no turn yet; `active`: a turn is running; `idle`: waiting for input; `waitingfortoolresults`: a turn waits for client-side tool results",
    }),
    created_at: z.string(),
    updated_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    usage: Usage,
  })
  .openapi("Session");

export const SESSION_LIMITS = { titleBytes: 1024 } as const;

const Title = boundedString(SESSION_LIMITS.titleBytes).nullable();
const ModelRef = idString("model").nullable();

export const CreateSessionSchema = z
  .object({ title: Title.optional(), tags: TagsSchema.default([]), model_id: ModelRef.optional() })
  .openapi("CreateSession");

export const CreateFlatSessionSchema = CreateSessionSchema.extend({
  agent_id: idString("agent"),
}).openapi("CreateSessionWithAgent");

export const UpdateSessionSchema = z.object({ title: Title, tags: TagsSchema }).partial().openapi("UpdateSession");

export type CreateSessionInput = z.infer<typeof CreateSessionSchema>;

export type Session = z.infer<typeof SessionSchema>;

/** What a stored session holds: the session object's own record and its D1 index row both have this shape. */
export interface SessionFields {
  id: string;
  agentId: string;
  title: string | null;
  tags: string[];
  modelId: string | null;
  status: Session["status"];
  inputTokens: number;
  outputTokens: number;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** The one mapping from a stored session to the API object. */
export function toSession(row: SessionFields): Session {
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
