import { createRoute, z } from "@hono/zod-openapi";
import { mcpServerIdOf } from "../capabilities/refs";
import { getCapability, listCapabilities } from "../capabilities/registry";
import { createRouter } from "../lib/create-router";
import { ApiError } from "../lib/errors";
import { traits } from "../middleware/traits";
import { CapabilitySchema, toCapability } from "../schemas/capabilities";
import { errorResponses, jsonResponse, PaginationQuery, paginated, SearchQuery } from "../schemas/common";
import { mcpCapabilityRef } from "../schemas/mcp-servers";
import { mcpCapability } from "../services/mcp-capabilities";
import { listMcpServerRows, mcpServerRowsByIds } from "../services/mcp-servers";

const tags = ["Capabilities"];

const listCapabilitiesRoute = createRoute({
  method: "get",
  path: "/v1/capabilities",
  middleware: traits({ access: "org" }),
  operationId: "listCapabilities",
  tags,
  summary:
    "List the built-in capabilities and the organization's MCP servers with their tools, listed live (paginated, search by name or description)",
  request: { query: PaginationQuery.extend(SearchQuery.shape) },
  responses: { 200: jsonResponse(paginated(CapabilitySchema), "A page of capabilities"), ...errorResponses(400, 401, 429) },
});

const getCapabilityRoute = createRoute({
  method: "get",
  path: "/v1/capabilities/{capability_id}",
  middleware: traits({ access: "org" }),
  operationId: "getCapability",
  tags,
  summary: "Get a built-in capability, or an MCP server's (`mcp:<mcp_server_id>`) with its tools",
  request: {
    params: z.object({
      capability_id: z
        .string()
        .min(1)
        .max(128)
        .openapi({ param: { name: "capability_id", in: "path" }, example: "current_time" }),
    }),
  },
  responses: { 200: jsonResponse(CapabilitySchema, "The capability"), ...errorResponses(400, 401, 404, 429) },
});

export const capabilitiesRouter = createRouter()
  .openapi(listCapabilitiesRoute, async (c) => {
    const { offset, limit, search } = c.req.valid("query");
    const needle = search?.toLowerCase();
    const matches = (cap: { id: string; name: string; description: string }) =>
      !needle || `${cap.id} ${cap.name} ${cap.description}`.toLowerCase().includes(needle);
    const builtIn = listCapabilities().filter(matches).map(toCapability);
    // The MCP servers come after the built-ins; their tools are listed only for a page that shows them.
    const servers = (await listMcpServerRows(c.var.db, c.var.principal.orgId)).filter((row) =>
      matches({ id: mcpCapabilityRef(row.id), name: row.name, description: row.url }),
    );
    const total = builtIn.length + servers.length;
    const shownServers = servers.slice(Math.max(0, offset - builtIn.length), Math.max(0, offset + limit - builtIn.length));
    const data = [...builtIn.slice(offset, offset + limit), ...(await Promise.all(shownServers.map((row) => mcpCapability(c.env, row))))];
    return c.json({ data, total, offset, limit }, 200);
  })
  .openapi(getCapabilityRoute, async (c) => {
    const id = c.req.valid("param").capability_id;
    const mcpId = mcpServerIdOf(id);
    if (mcpId !== null) {
      const [row] = await mcpServerRowsByIds(c.var.db, c.var.principal.orgId, [mcpId]);
      if (!row) throw new ApiError("capability_not_found");
      return c.json(await mcpCapability(c.env, row), 200);
    }
    const capability = getCapability(id);
    if (!capability) throw new ApiError("capability_not_found");
    return c.json(toCapability(capability), 200);
  });
