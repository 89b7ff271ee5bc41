import { z } from "@hono/zod-openapi";
import { boundedString } from "./common";

/** Field limits of the spec (§2). */
export const AGENT_LIMITS = {
  nameBytes: 2 * 1024,
  descriptionBytes: 10 * 1024,
  systemPromptBytes: 1024 * 1024,
  capabilities: 250,
  tags: 50,
  tagBytes: 128,
} as const;

const CapabilityRef = z
  .object({
    ref: z.string().min(1).max(128).openapi({ example: "current_time" }),
    config: z.record(z.string(), z.unknown()).default({}).openapi({ example: {} }),
  })
  .openapi("AgentCapability");

/** Capabilities are accepted as plain ids or `{ref, config}` and always returned as `{ref, config}`. */
const CapabilityInput = z
  .union([z.string().min(1).max(128), CapabilityRef])
  .transform((v) => (typeof v === "string" ? { ref: v, config: {} } : v));

const Tags = z
  .array(boundedString(AGENT_LIMITS.tagBytes).pipe(z.string().min(1)))
  .max(AGENT_LIMITS.tags)
  .openapi({ example: ["support"] });

const ModelRef = z.string().regex(/^model_[0-9a-f]{32}$/, "Must be a model_ id").nullable();

export const AgentSchema = z
  .object({
    id: z.string().openapi({ example: "agent_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    name: z.string().openapi({ example: "Support bot" }),
    description: z.string().nullable(),
    system_prompt: z.string().openapi({ example: "You are a helpful assistant." }),
    default_model_id: z.string().nullable(),
    capabilities: z.array(CapabilityRef),
    tags: z.array(z.string()),
    status: z.enum(["active", "archived"]),
    created_at: z.string().openapi({ example: "2026-11-22T18:00:00.000Z" }),
    updated_at: z.string(),
  })
  .openapi("Agent");

export const CreateAgentSchema = z
  .object({
    name: boundedString(AGENT_LIMITS.nameBytes).pipe(z.string().trim().min(1)).openapi({ example: "Support bot" }),
    description: boundedString(AGENT_LIMITS.descriptionBytes).nullable().optional(),
    system_prompt: boundedString(AGENT_LIMITS.systemPromptBytes).openapi({ example: "You are a helpful assistant." }),
    default_model_id: ModelRef.optional(),
    capabilities: z
      .array(CapabilityInput)
      .max(AGENT_LIMITS.capabilities)
      .default([])
      .openapi({ example: ["current_time", { ref: "test_math", config: {} }] }),
    tags: Tags.default([]),
  })
  .openapi("CreateAgent");

export const UpdateAgentSchema = z
  .object({
    name: boundedString(AGENT_LIMITS.nameBytes).pipe(z.string().trim().min(1)),
    description: boundedString(AGENT_LIMITS.descriptionBytes).nullable(),
    system_prompt: boundedString(AGENT_LIMITS.systemPromptBytes),
    default_model_id: ModelRef,
    capabilities: z.array(CapabilityInput).max(AGENT_LIMITS.capabilities).openapi({ description: "Replaces the whole list" }),
    tags: Tags,
    status: z.enum(["active", "archived"]).openapi({ description: "`active` un-archives" }),
  })
  .partial()
  .openapi("UpdateAgent");

export type CreateAgentInput = z.infer<typeof CreateAgentSchema>;
export type UpdateAgentInput = z.infer<typeof UpdateAgentSchema>;
export type CapabilityRefValue = z.infer<typeof CapabilityRef>;
