import { z } from "@hono/zod-openapi";
import type { Capability } from "../capabilities/types";

export const ToolDefinitionSchema = z
  .object({
    name: z.string().openapi({ example: "get_current_time" }),
    description: z.string(),
    parameters: z
      .record(z.string(), z.unknown())
      .openapi({ description: "JSON Schema of the tool's arguments", example: { type: "object", properties: {} } }),
  })
  .openapi("ToolDefinition");

export const CapabilitySchema = z
  .object({
    id: z.string().openapi({ example: "current_time" }),
    name: z.string().openapi({ example: "Current time" }),
    description: z.string(),
    status: z
      .enum(["available", "unavailable"])
      .openapi({ description: "`unavailable`: an MCP server whose tools could not be listed just now" }),
    category: z.string().openapi({ description: "`mcp` for an organization's MCP server (id `mcp:<mcp_server_id>`)", example: "utility" }),
    system_prompt: z.string().nullable().openapi({ description: "Added to the agent's system prompt when enabled" }),
    tool_definitions: z.array(ToolDefinitionSchema),
  })
  .openapi("Capability");

export type CapabilityView = z.infer<typeof CapabilitySchema>;

/** The one mapping from a built-in capability to the API object. */
export function toCapability(capability: Capability): CapabilityView {
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
