import { createRoute, z } from "@hono/zod-openapi";
import { getCapability, listCapabilities } from "../capabilities/registry";
import { createRouter } from "../lib/create-router";
import { traits } from "../middleware/traits";
import { ApiError } from "../lib/errors";
import { CapabilitySchema, toCapability } from "../schemas/capabilities";
import { errorResponses, jsonResponse, paginated, PaginationQuery, SearchQuery } from "../schemas/common";

const tags = ["Capabilities"];

const listCapabilitiesRoute = createRoute({
  method: "get",
  path: "/v1/capabilities",
  middleware: traits({ access: "org" }),
  operationId: "listCapabilities",
  tags,
  summary: "List the built-in capabilities (paginated, search by name or description)",
  request: { query: PaginationQuery.extend(SearchQuery.shape) },
  responses: { 200: jsonResponse(paginated(CapabilitySchema), "A page of built-in capabilities"), ...errorResponses(400, 401, 429) },
});

const getCapabilityRoute = createRoute({
  method: "get",
  path: "/v1/capabilities/{capability_id}",
  middleware: traits({ access: "org" }),
  operationId: "getCapability",
  tags,
  summary: "Get a built-in capability",
  request: {
    params: z.object({
      capability_id: z.string().min(1).max(128).openapi({ param: { name: "capability_id", in: "path" }, example: "current_time" }),
    }),
  },
  responses: { 200: jsonResponse(CapabilitySchema, "The capability"), ...errorResponses(400, 401, 404, 429) },
});

export const capabilitiesRouter = createRouter()
  .openapi(listCapabilitiesRoute, (c) => {
    const { offset, limit, search } = c.req.valid("query");
    const needle = search?.toLowerCase();
    const found = listCapabilities().filter((cap) => !needle || `${cap.id} ${cap.name} ${cap.description}`.toLowerCase().includes(needle));
    return c.json({ data: found.slice(offset, offset + limit).map(toCapability), total: found.length, offset, limit }, 200);
  })
  .openapi(getCapabilityRoute, (c) => {
    const capability = getCapability(c.req.valid("param").capability_id);
    if (!capability) throw new ApiError("capability_not_found");
    return c.json(toCapability(capability), 200);
  });
