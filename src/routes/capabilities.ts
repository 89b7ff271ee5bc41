import { createRoute, z } from "@hono/zod-openapi";
import { getCapability, listCapabilities } from "../capabilities/registry";
import { createRouter } from "../lib/create-router";
import { ApiError } from "../lib/errors";
import { CapabilitySchema, toCapability } from "../schemas/capabilities";
import { errorResponses, jsonResponse } from "../schemas/common";

const tags = ["Capabilities"];

const listCapabilitiesRoute = createRoute({
  method: "get",
  path: "/v1/capabilities",
  operationId: "listCapabilities",
  tags,
  summary: "List the built-in capabilities",
  responses: { 200: jsonResponse(z.object({ data: z.array(CapabilitySchema) }), "Every built-in capability"), ...errorResponses(401, 429) },
});

const getCapabilityRoute = createRoute({
  method: "get",
  path: "/v1/capabilities/{capability_id}",
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
  .openapi(listCapabilitiesRoute, (c) => c.json({ data: listCapabilities().map(toCapability) }, 200))
  .openapi(getCapabilityRoute, (c) => {
    const capability = getCapability(c.req.valid("param").capability_id);
    if (!capability) throw new ApiError("capability_not_found");
    return c.json(toCapability(capability), 200);
  });
