import { z } from "@hono/zod-openapi";
import { boundedString, freeFormObject } from "./common";

export const CLIENT_TOOL_LIMITS = { count: 64, descriptionBytes: 4 * 1024, parametersBytes: 16 * 1024 } as const;

/**
 * A tool the client runs: the model may call it, the turn emits the call (`tool.call` with
 * `executor: "client"`) and waits until the client posts its result to `POST …/tool-results`.
 */
export const ClientToolSchema = z
  .object({
    type: z
      .literal("client_side")
      .openapi({ description: "Only client-side tools can be declared; built-in tools come with capabilities" }),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "Must be 1–64 letters, digits, _ or -")
      .openapi({ description: "Not the name of a tool of a capability the agent or session enables", example: "lookup_order" }),
    description: boundedString(CLIENT_TOOL_LIMITS.descriptionBytes).default(""),
    parameters: freeFormObject({ maxBytes: CLIENT_TOOL_LIMITS.parametersBytes })
      .default({ type: "object", properties: {} })
      .openapi({
        description: "JSON Schema of the arguments",
        example: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      }),
  })
  .openapi("ClientTool");

/** Up to 64 client-side tools with distinct names. */
export const ClientToolsSchema = z
  .array(ClientToolSchema)
  .max(CLIENT_TOOL_LIMITS.count)
  .superRefine((tools, ctx) => {
    const seen = new Set<string>();
    tools.forEach((tool, i) => {
      if (typeof tool.name !== "string") return;
      if (seen.has(tool.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: "Duplicate tool name" });
      seen.add(tool.name);
    });
  });

export type ClientTool = z.infer<typeof ClientToolSchema>;

/**
 * Fields of the upstream Everruns API that the official SDKs send and this API does not have.
 * Empty or unset they mean nothing and are accepted; set, they would change behaviour, so they
 * are refused with 422 `unsupported_feature` naming the field rather than silently dropped.
 */
export const UpstreamOnlyFields = {
  id: z.string().optional().openapi({ description: "Not supported: the server gives ids (update an agent with PATCH)" }),
  initial_files: z.array(z.unknown()).optional().openapi({ description: "Not supported: only an empty list is accepted" }),
  mcpServers: z.unknown().optional().openapi({ description: "Not supported: only an empty list or object is accepted" }),
  network_access: z.unknown().optional().openapi({ description: "Not supported: only null is accepted" }),
};
