import type { Capability } from "../capabilities/types";
import { z } from "@hono/zod-openapi";

export const ToolDefinitionSchema = z
  .object({
    name: z.string().openapi({ example: "get_current_time" }),
    description: z.string(),
    parameters: z.record(z.string(), z.unknown()).openapi({ description: "JSON Schema of the tool's arguments", example: { type: "object", properties: {} } }),
  })
  .openapi("ToolDefinition");

export const CapabilitySchema = z
  .object({
    id: z.string().openapi({ example: "current_time" }),
    name: z.string().openapi({ example: "Current time" }),
    description: z.string(),
    status: z.literal("available"),
    category: z.string().openapi({ example: "utility" }),
    system_prompt: z.string().nullable().openapi({ description: "Added to the agent's system prompt when enabled" }),
    tool_definitions: z.array(ToolDefinitionSchema),
  })
  .openapi("Capability");

/** The one mapping from a built-in capability to the API object. */
export function toCapability(capability: Capability): z.infer<typeof CapabilitySchema> {
  return {
    id: capability.id,
    name: capability.name,
    description: capability.description,
    status: capability.status,
    category: capability.category,
    system_prompt: capability.systemPrompt,
    tool_definitions: capability.tools.map(({ name, description, parameters }) => ({ name, description, parameters })),
  };
}
