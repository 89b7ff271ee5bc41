import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { authMode } from "../middleware/auth-mode";
import { traits } from "../middleware/traits";
import { errorResponses, jsonResponse } from "../schemas/common";

const HealthSchema = z
  .object({
    status: z.literal("ok"),
    version: z.string().openapi({ example: "0.1.0" }),
    auth_mode: z.enum(["required", "none"]),
  })
  .openapi("Health");

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  middleware: traits({ access: "public" }),
  operationId: "getHealth",
  tags: ["System"],
  summary: "Liveness: answers without touching D1 or any Durable Object",
  security: [],
  responses: { 200: jsonResponse(HealthSchema, "The Worker is up"), ...errorResponses() },
});

export const healthRouter = createRouter().openapi(healthRoute, (c) =>
  c.json({ status: "ok" as const, version: c.env.APP_VERSION ?? "0.0.0", auth_mode: authMode(c.env) }, 200),
);
