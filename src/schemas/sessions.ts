import { z } from "@hono/zod-openapi";
import { boundedString } from "./common";

const Usage = z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() }).openapi("Usage");

export const SessionSchema = z
  .object({
    id: z.string().openapi({ example: "session_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    agent_id: z.string(),
    title: z.string().nullable(),
    tags: z.array(z.string()),
    model_id: z.string().nullable(),
    status: z.enum(["started", "active", "idle"]).openapi({
      description: "`started`: no turn yet; `active`: a turn is running; `idle`: waiting for input",
    }),
    created_at: z.string(),
    updated_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    usage: Usage,
  })
  .openapi("Session");

const Title = boundedString(1024).nullable();
const Tags = z.array(boundedString(128).pipe(z.string().min(1))).max(50);
const ModelRef = z.string().regex(/^model_[0-9a-f]{32}$/, "Must be a model_ id").nullable();

export const CreateSessionSchema = z
  .object({ title: Title.optional(), tags: Tags.default([]), model_id: ModelRef.optional() })
  .openapi("CreateSession");

export const CreateFlatSessionSchema = CreateSessionSchema.extend({
  agent_id: z.string().regex(/^agent_[0-9a-f]{32}$/, "Must be an agent_ id"),
}).openapi("CreateSessionWithAgent");

export const UpdateSessionSchema = z.object({ title: Title, tags: Tags }).partial().openapi("UpdateSession");

export type CreateSessionInput = z.infer<typeof CreateSessionSchema>;
