import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { traits } from "../middleware/traits";
import { AgentSchema, CreateAgentSchema, UpdateAgentSchema } from "../schemas/agents";
import { errorResponses, idParam, jsonBody, jsonResponse, PaginationQuery, paginated, SearchQuery } from "../schemas/common";
import { archiveAgent, createAgent, getAgent, listAgents, updateAgent } from "../services/agents";

const tags = ["Agents"];
const AgentParams = z.object({ agent_id: idParam("agent", "agent_id") });

/** The body of GET /v1/agents; exported so tests parse with the route's own schema. */
export const AgentPage = paginated(AgentSchema).openapi("AgentPage");

const listAgentsRoute = createRoute({
  method: "get",
  path: "/v1/agents",
  middleware: traits({ access: "org" }),
  operationId: "listAgents",
  tags,
  summary: "List active agents, newest first (paginated)",
  request: { query: PaginationQuery.extend(SearchQuery.shape) },
  responses: { 200: jsonResponse(AgentPage, "A page of active agents"), ...errorResponses(400, 401, 429) },
});

const createAgentRoute = createRoute({
  method: "post",
  path: "/v1/agents",
  middleware: traits({ access: "org", idempotent: true }),
  operationId: "createAgent",
  tags,
  summary: "Create an agent",
  request: { body: jsonBody(CreateAgentSchema) },
  responses: { 201: jsonResponse(AgentSchema, "The created agent"), ...errorResponses(400, 401, 413, 415, 422, 429) },
});

const getAgentRoute = createRoute({
  method: "get",
  path: "/v1/agents/{agent_id}",
  middleware: traits({ access: "org" }),
  operationId: "getAgent",
  tags,
  summary: "Get an agent (archived ones too)",
  request: { params: AgentParams },
  responses: { 200: jsonResponse(AgentSchema, "The agent"), ...errorResponses(400, 401, 404, 429) },
});

const updateAgentRoute = createRoute({
  method: "patch",
  path: "/v1/agents/{agent_id}",
  middleware: traits({ access: "org" }),
  operationId: "updateAgent",
  tags,
  summary: "Update an agent (partial; capabilities replace the list; status active un-archives)",
  request: { params: AgentParams, body: jsonBody(UpdateAgentSchema) },
  responses: { 200: jsonResponse(AgentSchema, "The updated agent"), ...errorResponses(400, 401, 404, 413, 415, 422, 429) },
});

const deleteAgentRoute = createRoute({
  method: "delete",
  path: "/v1/agents/{agent_id}",
  middleware: traits({ access: "org" }),
  operationId: "deleteAgent",
  tags,
  summary: "Archive an agent (a second DELETE is a 404)",
  request: { params: AgentParams },
  responses: { 204: { description: "Archived" }, ...errorResponses(400, 401, 404, 429) },
});

export const agentsRouter = createRouter()
  .openapi(listAgentsRoute, async (c) => c.json(await listAgents(c.var.db, c.var.principal.orgId, c.req.valid("query")), 200))
  .openapi(createAgentRoute, async (c) => c.json(await createAgent(c.var.db, c.var.principal.orgId, c.req.valid("json")), 201))
  .openapi(getAgentRoute, async (c) => c.json(await getAgent(c.var.db, c.var.principal.orgId, c.req.valid("param").agent_id), 200))
  .openapi(updateAgentRoute, async (c) => {
    const { agent_id } = c.req.valid("param");
    return c.json(await updateAgent(c.var.db, c.var.principal.orgId, agent_id, c.req.valid("json")), 200);
  })
  .openapi(deleteAgentRoute, async (c) => {
    await archiveAgent(c.var.db, c.var.principal.orgId, c.req.valid("param").agent_id);
    return c.body(null, 204);
  });
