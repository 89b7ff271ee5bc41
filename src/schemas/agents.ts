import { z } from "@hono/zod-openapi";
import type { agents } from "../db/schema";
import { BUILTIN_HARNESS_ID } from "../harness/builtin";
import { FREE_FORM_MAX_DEPTH } from "../lib/json-depth";
import { boundedString, freeFormObject, idString, TAG_LIMITS, TagsSchema } from "./common";
import { HarnessRefFields } from "./harnesses";
import { ClientToolSchema, ClientToolsSchema, UpstreamOnlyFields } from "./tools";

/** Field limits of the spec (§2). */
const AGENT_LIMITS = {
  nameBytes: 2 * 1024,
  descriptionBytes: 10 * 1024,
  systemPromptBytes: 1024 * 1024,
  capabilities: 250,
  capabilityIdBytes: 128,
  tags: TAG_LIMITS.count,
  tagBytes: TAG_LIMITS.bytes,
} as const;

const CapabilityId = boundedString(AGENT_LIMITS.capabilityIdBytes).pipe(z.string().min(1));

export const CapabilityRef = z
  .object({
    ref: CapabilityId.openapi({ example: "current_time" }),
    config: freeFormObject()
      .default({})
      .openapi({ description: `Free-form settings of the capability, nested at most ${FREE_FORM_MAX_DEPTH} levels`, example: {} }),
  })
  .openapi("AgentCapability");

/** Capabilities are accepted as plain ids or `{ref, config}` and always returned as `{ref, config}`. */
const CapabilityInput = z.union([CapabilityId, CapabilityRef]).transform((v) => (typeof v === "string" ? { ref: v, config: {} } : v));

/**
 * Up to 250 capabilities, each ref at most once: a repeated ref is a 400 naming the repeat
 * (`body.capabilities.3`). Over the count limit only that one size issue is reported.
 */
export const Capabilities = z
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
    tools: z.array(ClientToolSchema).openapi({ description: "Client-side tools: the client runs them and posts their results" }),
    parallel_tool_calls: z
      .boolean()
      .nullable()
      .openapi({ description: "Whether a reply's built-in tool calls run in parallel (null: yes)" }),
    harness_id: z.string().openapi({ description: "Always the built-in harness", example: BUILTIN_HARNESS_ID }),
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
    model: ModelRef.optional().openapi({ description: "Same as default_model_id (the TypeScript SDK sends this name); not both" }),
    capabilities: Capabilities.default([]).openapi({ example: ["current_time", { ref: "test_math", config: {} }] }),
    tools: ClientToolsSchema.default([]),
    parallel_tool_calls: z.boolean().nullable().optional(),
    tags: TagsSchema.default([]),
    ...HarnessRefFields,
    ...UpstreamOnlyFields,
  })
  .superRefine((body, ctx) => {
    if (body.model !== undefined && body.default_model_id !== undefined) {
      ctx.addIssue({ code: "custom", path: ["model"], message: "Give default_model_id or model, not both" });
    }
  })
  .openapi("CreateAgent");

export const UpdateAgentSchema = z
  .object({
    name: boundedString(AGENT_LIMITS.nameBytes).pipe(z.string().trim().min(1)),
    description: boundedString(AGENT_LIMITS.descriptionBytes).nullable(),
    system_prompt: boundedString(AGENT_LIMITS.systemPromptBytes),
    default_model_id: ModelRef,
    capabilities: Capabilities.openapi({ description: "Replaces the whole list" }),
    tools: ClientToolsSchema.openapi({ description: "Replaces the whole list" }),
    parallel_tool_calls: z.boolean().nullable(),
    tags: TagsSchema,
    status: z.enum(["active", "archived"]).openapi({ description: "`active` un-archives" }),
  })
  .partial()
  .openapi("UpdateAgent");

export type CreateAgentInput = z.infer<typeof CreateAgentSchema>;
export type UpdateAgentInput = z.infer<typeof UpdateAgentSchema>;
export type CapabilityRefValue = z.infer<typeof CapabilityRef>;
export type Agent = z.infer<typeof AgentSchema>;
type AgentRow = typeof agents.$inferSelect;

/** The one mapping from an agent row (and its ordered capabilities) to the API object. */
export function toAgent(row: AgentRow, capabilities: CapabilityRefValue[]): Agent {
  return {
    id: row.id,
    name: row.name,
    description: row.description ?? null,
    system_prompt: row.systemPrompt,
    default_model_id: row.defaultModelId ?? null,
    capabilities,
    tools: row.tools,
    parallel_tool_calls: row.parallelToolCalls ?? null,
    harness_id: BUILTIN_HARNESS_ID,
    tags: row.tags,
    status: row.status,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
