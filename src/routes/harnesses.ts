import { createRoute, z } from "@hono/zod-openapi";
import { builtinHarness } from "../harness/builtin";
import { createRouter } from "../lib/create-router";
import { ApiError } from "../lib/errors";
import { traits } from "../middleware/traits";
import { errorResponses, idParam, jsonResponse } from "../schemas/common";
import { HarnessSchema } from "../schemas/harnesses";

const tags = ["Harnesses"];

const listHarnessesRoute = createRoute({
  method: "get",
  path: "/v1/harnesses",
  middleware: traits({ access: "org" }),
  operationId: "listHarnesses",
  tags,
  summary: "List the harnesses: the built-in turn loop",
  request: {
    query: z.object({
      search: z
        .string()
        .max(256)
        .optional()
        .openapi({
          param: { name: "search", in: "query" },
          description: "Only harnesses whose name or description contains this (case-insensitive)",
        }),
    }),
  },
  responses: { 200: jsonResponse(z.object({ data: z.array(HarnessSchema) }), "Every harness"), ...errorResponses(400, 401, 429) },
});

const getHarnessRoute = createRoute({
  method: "get",
  path: "/v1/harnesses/{harness_id}",
  middleware: traits({ access: "org" }),
  operationId: "getHarness",
  tags,
  summary: "Get a harness",
  request: { params: z.object({ harness_id: idParam("harness", "harness_id") }) },
  responses: { 200: jsonResponse(HarnessSchema, "The harness"), ...errorResponses(400, 401, 404, 429) },
});

export const harnessesRouter = createRouter()
  .openapi(listHarnessesRoute, (c) => {
    const harness = builtinHarness(c.env);
    const search = c.req.valid("query").search?.toLowerCase();
    const found = !search || `${harness.name} ${harness.display_name} ${harness.description}`.toLowerCase().includes(search);
    return c.json({ data: found ? [harness] : [] }, 200);
  })
  .openapi(getHarnessRoute, (c) => {
    const harness = builtinHarness(c.env);
    if (c.req.valid("param").harness_id !== harness.id) throw new ApiError("harness_not_found");
    return c.json(harness, 200);
  });
