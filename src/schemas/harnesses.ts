import { z } from "@hono/zod-openapi";

export const HarnessSchema = z
  .object({
    id: z.string().openapi({ example: "harness_00000000000000000000000000000001" }),
    name: z.string().openapi({ example: "generic" }),
    display_name: z.string(),
    description: z.string(),
    status: z.enum(["active"]),
    max_iterations: z.number().int().openapi({ description: "Model calls per turn (TURN_MAX_ITERATIONS)" }),
    behavior: z.array(z.string()).openapi({ description: "What the loop guarantees, one sentence each" }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Harness");

/** `harness_id` / `harness_name` on create calls: they may only name the built-in harness. */
export const HarnessRefFields = {
  harness_id: z
    .string()
    .max(128)
    .nullable()
    .optional()
    .openapi({ description: "Only the built-in harness (GET /v1/harnesses); another is a 422" }),
  harness_name: z.string().max(128).nullable().optional().openapi({ description: "Only `generic`, the built-in harness's name" }),
};
