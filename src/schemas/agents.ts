import { z } from "@hono/zod-openapi";
import { FREE_FORM_MAX_DEPTH } from "../lib/json-depth";
import { boundedString, freeFormObject, idString, TAG_LIMITS, TagsSchema } from "./common";

/** Field limits of the spec (§2). */
export const AGENT_LIMITS = {
  nameBytes: 2 * 1024,
  descriptionBytes: 10 * 1024,
  systemPromptBytes: 1024 * 1024,
  capabilities: 250,
  capabilityIdBytes: 128,
  tags: TAG_LIMITS.count,
  tagBytes: TAG_LIMITS.bytes,
} as const;

const CapabilityId = boundedString(AGENT_LIMITS.capabilityIdBytes).pipe(z.string().min(1));

const CapabilityRef = z
  .object({
    ref: CapabilityId.openapi({ example: "current_time" }),
    config: freeFormObject()
      .default({})
      .openapi({ description: `Free-form settings of the capability, nested at most ${FREE_FORM_MAX_DEPTH} levels`, example: {} }),
  })
  .openapi("AgentCapability");

/** Capabilities are accepted as plain ids or `{ref, config}` and always returned as `{ref, config}`. */
const CapabilityInput = z
  .union([CapabilityId, CapabilityRef])
  .transform((v) => (typeof v === "string" ? { ref: v, config: {} } : v));

/**
 * Up to 250 capabilities, each ref at most once: a repeated ref is a 400 naming the repeat
 * (`body.capabilities.3`). Over the count limit only that one size issue is reported.
 */
const Capabilities = z
  .array(CapabilityInput)
  .max(AGENT_LIMITS.capabilities)
  .superRefine((list, ctx) => {
    if (list.length > AGENT_LIMITS.capabilities) return;
    const seen = new Set<string>();
    list.forEach(({ ref }, i) => {
      // An entry that failed its own checks may arrive untransformed; it is already reported.
      if (typeof ref !== "string") return;
      if (seen.has(ref)) ctx.addIssue({ code: "custom", path: [i], message: "Duplicate capability ref" });
      seen.add(ref);
    });
  });

const ModelRef = idString("model").nullable();

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
    capabilities: Capabilities.default([]).openapi({ example: ["current_time", { ref: "test_math", config: {} }] }),
    tags: TagsSchema.default([]),
  })
  .openapi("CreateAgent");

export const UpdateAgentSchema = z
  .object({
    name: boundedString(AGENT_LIMITS.nameBytes).pipe(z.string().trim().min(1)),
    description: boundedString(AGENT_LIMITS.descriptionBytes).nullable(),
    system_prompt: boundedString(AGENT_LIMITS.systemPromptBytes),
    default_model_id: ModelRef,
    capabilities: Capabilities.openapi({ description: "Replaces the whole list" }),
    tags: TagsSchema,
    status: z.enum(["active", "archived"]).openapi({ description: "`active` un-archives" }),
  })
  .partial()
  .openapi("UpdateAgent");

export type CreateAgentInput = z.infer<typeof CreateAgentSchema>;
export type UpdateAgentInput = z.infer<typeof UpdateAgentSchema>;
export type CapabilityRefValue = z.infer<typeof CapabilityRef>;
