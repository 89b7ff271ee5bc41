import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { traits } from "../middleware/traits";
import { errorResponses, idParam, jsonBody, jsonResponse } from "../schemas/common";
import { CreateMcpServerSchema, McpServerSchema, McpToolListSchema, toMcpServer, UpdateMcpServerSchema } from "../schemas/mcp-servers";
import {
  createMcpServer,
  deleteMcpServer,
  getMcpServerRow,
  listMcpServerRows,
  liveMcpTools,
  updateMcpServer,
} from "../services/mcp-servers";

const tags = ["MCP servers"];
const ServerParams = z.object({ mcp_server_id: idParam("mcpsrv", "mcp_server_id") });

const listRoute = createRoute({
  method: "get",
  path: "/v1/mcp-servers",
  middleware: traits({ access: "org" }),
  operationId: "listMcpServers",
  tags,
  summary: "List the organization's MCP servers, newest first (at most 50)",
  responses: { 200: jsonResponse(z.object({ data: z.array(McpServerSchema) }), "MCP servers"), ...errorResponses(400, 401, 429) },
});

const createRouteDef = createRoute({
  method: "post",
  path: "/v1/mcp-servers",
  middleware: traits({ access: "org", idempotent: true, role: "admin" }),
  operationId: "createMcpServer",
  tags,
  summary: "Register a remote MCP server (admin); headers are encrypted at rest and never returned",
  request: { body: jsonBody(CreateMcpServerSchema) },
  responses: { 201: jsonResponse(McpServerSchema, "The new MCP server"), ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429) },
});

const getRoute = createRoute({
  method: "get",
  path: "/v1/mcp-servers/{mcp_server_id}",
  middleware: traits({ access: "org" }),
  operationId: "getMcpServer",
  tags,
  summary: "Get an MCP server",
  request: { params: ServerParams },
  responses: { 200: jsonResponse(McpServerSchema, "The MCP server"), ...errorResponses(400, 401, 404, 429) },
});

const updateRoute = createRoute({
  method: "patch",
  path: "/v1/mcp-servers/{mcp_server_id}",
  middleware: traits({ access: "org", role: "admin" }),
  operationId: "updateMcpServer",
  tags,
  summary: "Update an MCP server (admin; partial; headers null removes them)",
  request: { params: ServerParams, body: jsonBody(UpdateMcpServerSchema) },
  responses: {
    200: jsonResponse(McpServerSchema, "The updated MCP server"),
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 429),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/v1/mcp-servers/{mcp_server_id}",
  middleware: traits({ access: "org", role: "admin" }),
  operationId: "deleteMcpServer",
  tags,
  summary: "Remove an MCP server (admin); agents that use it keep the ref, and their turns leave its tools out",
  request: { params: ServerParams },
  responses: { 204: { description: "Removed" }, ...errorResponses(400, 401, 403, 404, 429) },
});

const toolsRoute = createRoute({
  method: "get",
  path: "/v1/mcp-servers/{mcp_server_id}/tools",
  middleware: traits({ access: "org" }),
  operationId: "listMcpServerTools",
  tags,
  summary: "List the server's tools, live (502 mcp_unavailable when it cannot be reached)",
  request: { params: ServerParams },
  responses: { 200: jsonResponse(McpToolListSchema, "The server's tools"), ...errorResponses(400, 401, 404, 429, 502) },
});

export const mcpServersRouter = createRouter()
  .openapi(listRoute, async (c) => c.json({ data: (await listMcpServerRows(c.var.db, c.var.principal.orgId)).map(toMcpServer) }, 200))
  .openapi(createRouteDef, async (c) => c.json(await createMcpServer(c.var.db, c.env, c.var.principal.orgId, c.req.valid("json")), 201))
  .openapi(getRoute, async (c) =>
    c.json(toMcpServer(await getMcpServerRow(c.var.db, c.var.principal.orgId, c.req.valid("param").mcp_server_id)), 200),
  )
  .openapi(updateRoute, async (c) => {
    const { mcp_server_id } = c.req.valid("param");
    return c.json(await updateMcpServer(c.var.db, c.env, c.var.principal.orgId, mcp_server_id, c.req.valid("json")), 200);
  })
  .openapi(deleteRoute, async (c) => {
    await deleteMcpServer(c.var.db, c.var.principal.orgId, c.req.valid("param").mcp_server_id);
    return c.body(null, 204);
  })
  .openapi(toolsRoute, async (c) => {
    const row = await getMcpServerRow(c.var.db, c.var.principal.orgId, c.req.valid("param").mcp_server_id);
    return c.json({ data: await liveMcpTools(c.env, row) }, 200);
  });
