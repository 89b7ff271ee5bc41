import { z } from "@hono/zod-openapi";
import { BUILTIN_HARNESS_ID } from "../harness/builtin";
import { Capabilities, CapabilityRef } from "./agents";
import { boundedString, idString, TagsSchema } from "./common";
import { HarnessRefFields } from "./harnesses";
import { ClientToolSchema, ClientToolsSchema, UpstreamOnlyFields } from "./tools";

export const SESSION_STATUSES = ["started", "active", "idle", "waitingfortoolresults"] as const;

const Usage = z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() }).openapi("Usage");

export const SessionSchema = z
  .object({
    id: z.string().openapi({ example: "session_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    organization_id: z.string().openapi({ example: "org_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    agent_id: z.string(),
    harness_id: z.string().openapi({ description: "Always the built-in harness", example: BUILTIN_HARNESS_ID }),
    title: z.string().nullable(),
    tags: z.array(z.string()),
    model_id: z.string().nullable(),
    locale: z.string().nullable().openapi({ description: "The locale the session asked for, given to the model as a hint" }),
    capabilities: z.array(CapabilityRef).openapi({ description: "Capabilities this session adds to its agent's" }),
    tools: z.array(ClientToolSchema).openapi({ description: "Client-side tools this session adds to its agent's" }),
    parallel_tool_calls: z
      .boolean()
      .nullable()
      .openapi({ description: "Whether a reply's built-in tool calls run in parallel (null: as the agent says)" }),
    status: z.enum(SESSION_STATUSES).openapi({
      description:
        "`started`: no turn yet; `active`: a turn is running; `idle`: waiting for input; " +
        "`waitingfortoolresults`: a turn waits for client-side tool results",
    }),
    created_at: z.string(),
    updated_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    usage: Usage,
  })
  .openapi("Session");

const SESSION_LIMITS = { titleBytes: 1024 } as const;

const Title = boundedString(SESSION_LIMITS.titleBytes).nullable();
const ModelRef = idString("model").nullable();

/** A BCP 47 language tag such as `en`, `fr-CA` or `zh-Hant-TW`. */
const Locale = z
  .string()
  .regex(/^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/, "Must be a BCP 47 language tag such as en or fr-CA")
  .max(35)
  .nullable();

const createSessionFields = {
  title: Title.optional(),
  tags: TagsSchema.default([]),
  model_id: ModelRef.optional(),
  locale: Locale.optional(),
  capabilities: Capabilities.default([]).openapi({ description: "Added to the agent's capabilities for this session's turns" }),
  tools: ClientToolsSchema.default([]).openapi({
    description: "Client-side tools added to the agent's (a tool of the same name replaces the agent's)",
  }),
  parallel_tool_calls: z.boolean().nullable().optional(),
  ...HarnessRefFields,
  ...UpstreamOnlyFields,
};

export const CreateSessionSchema = z.object(createSessionFields).openapi("CreateSession");

export const CreateFlatSessionSchema = z
  .object({
    ...createSessionFields,
    agent_id: idString("agent").optional(),
    agent_name: z
      .string()
      .min(1)
      .max(2048)
      .optional()
      .openapi({ description: "Instead of agent_id: the newest active agent of the organization with this name" }),
  })
  .superRefine((body, ctx) => {
    if ((body.agent_id === undefined) === (body.agent_name === undefined)) {
      ctx.addIssue({ code: "custom", path: ["agent_id"], message: "Give agent_id or agent_name (exactly one)" });
    }
  })
  .openapi("CreateSessionWithAgent");

export const UpdateSessionSchema = z.object({ title: Title, tags: TagsSchema }).partial().openapi("UpdateSession");

export type CreateSessionInput = z.infer<typeof CreateSessionSchema>;

export type Session = z.infer<typeof SessionSchema>;

/** What a stored session holds: the session object's own record and its D1 index row both have this shape. */
export interface SessionFields {
  id: string;
  orgId: string;
  agentId: string;
  title: string | null;
  tags: string[];
  modelId: string | null;
  locale: string | null;
  capabilities: { ref: string; config: Record<string, unknown> }[];
  tools: Session["tools"];
  parallelToolCalls: boolean | null;
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
    organization_id: row.orgId,
    agent_id: row.agentId,
    harness_id: BUILTIN_HARNESS_ID,
    title: row.title ?? null,
    tags: row.tags,
    model_id: row.modelId ?? null,
    locale: row.locale ?? null,
    capabilities: row.capabilities,
    tools: row.tools,
    parallel_tool_calls: row.parallelToolCalls ?? null,
    status: row.status,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    started_at: row.startedAt ?? null,
    finished_at: row.finishedAt ?? null,
    usage: { input_tokens: row.inputTokens, output_tokens: row.outputTokens },
  };
}
