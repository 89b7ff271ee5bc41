import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { traits } from "../middleware/traits";
import { errorResponses, idParam, idString, jsonBody, jsonResponse, PaginationQuery, paginated, SearchQuery } from "../schemas/common";
import { CreateFlatSessionSchema, CreateSessionSchema, SessionSchema, UpdateSessionSchema } from "../schemas/sessions";
import { sessionClient } from "../services/session-client";
import { createSession, listSessions } from "../services/sessions";

const tags = ["Sessions"];
const AgentParams = z.object({ agent_id: idParam("agent", "agent_id") });
const SessionParams = z.object({ session_id: idParam("session", "session_id") });
const FlatListQuery = PaginationQuery.extend(SearchQuery.shape).extend({
  agent_id: idString("agent")
    .optional()
    .openapi({ param: { name: "agent_id", in: "query" } }),
});
/** The body of both session lists; exported so tests parse with the route's own schema. */
export const SessionPage = paginated(SessionSchema).openapi("SessionPage");

const listAgentSessionsRoute = createRoute({
  method: "get",
  path: "/v1/agents/{agent_id}/sessions",
  middleware: traits({ access: "org" }),
  operationId: "listAgentSessions",
  tags,
  summary: "List an agent's sessions, newest first (paginated)",
  request: { params: AgentParams, query: PaginationQuery.extend(SearchQuery.shape) },
  responses: { 200: jsonResponse(SessionPage, "A page of sessions"), ...errorResponses(400, 401, 404, 429) },
});

const createAgentSessionRoute = createRoute({
  method: "post",
  path: "/v1/agents/{agent_id}/sessions",
  middleware: traits({ access: "org", idempotent: true }),
  operationId: "createAgentSession",
  tags,
  summary: "Open a session with an agent",
  request: { params: AgentParams, body: jsonBody(CreateSessionSchema) },
  responses: { 201: jsonResponse(SessionSchema, "The new session"), ...errorResponses(400, 401, 404, 413, 415, 422, 429) },
});

const listSessionsRoute = createRoute({
  method: "get",
  path: "/v1/sessions",
  middleware: traits({ access: "org" }),
  operationId: "listSessions",
  tags,
  summary: "List the organization's sessions, newest first (paginated, filter by agent_id)",
  request: { query: FlatListQuery },
  responses: { 200: jsonResponse(SessionPage, "A page of sessions"), ...errorResponses(400, 401, 429) },
});

const createSessionRoute = createRoute({
  method: "post",
  path: "/v1/sessions",
  middleware: traits({ access: "org", idempotent: true }),
  operationId: "createSession",
  tags,
  summary: "Open a session, naming the agent in the body",
  request: { body: jsonBody(CreateFlatSessionSchema) },
  responses: { 201: jsonResponse(SessionSchema, "The new session"), ...errorResponses(400, 401, 404, 413, 415, 422, 429) },
});

const getSessionRoute = createRoute({
  method: "get",
  path: "/v1/sessions/{session_id}",
  middleware: traits({ access: "org" }),
  operationId: "getSession",
  tags,
  summary: "Get a session",
  request: { params: SessionParams },
  responses: { 200: jsonResponse(SessionSchema, "The session"), ...errorResponses(400, 401, 404, 429) },
});

const updateSessionRoute = createRoute({
  method: "patch",
  path: "/v1/sessions/{session_id}",
  middleware: traits({ access: "org" }),
  operationId: "updateSession",
  tags,
  summary: "Update a session's title or tags",
  request: { params: SessionParams, body: jsonBody(UpdateSessionSchema) },
  responses: { 200: jsonResponse(SessionSchema, "The updated session"), ...errorResponses(400, 401, 404, 413, 415, 429) },
});

const deleteSessionRoute = createRoute({
  method: "delete",
  path: "/v1/sessions/{session_id}",
  middleware: traits({ access: "org" }),
  operationId: "deleteSession",
  tags,
  summary: "Delete a session with its messages and events; a running turn is stopped and open streams closed",
  request: { params: SessionParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 404, 429) },
});

export const sessionsRouter = createRouter()
  .openapi(listAgentSessionsRoute, async (c) => {
    const { agent_id } = c.req.valid("param");
    return c.json(
      await listSessions(c.var.db, c.var.principal.orgId, { ...c.req.valid("query"), agentId: agent_id, agentMustExist: true }),
      200,
    );
  })
  .openapi(createAgentSessionRoute, async (c) => {
    return c.json(
      await createSession(c.env, c.var.db, c.var.principal.orgId, { id: c.req.valid("param").agent_id }, c.req.valid("json"), c.var.d1),
      201,
    );
  })
  .openapi(listSessionsRoute, async (c) => {
    const { agent_id, ...page } = c.req.valid("query");
    return c.json(await listSessions(c.var.db, c.var.principal.orgId, { ...page, agentId: agent_id }), 200);
  })
  .openapi(createSessionRoute, async (c) => {
    const { agent_id, agent_name, ...input } = c.req.valid("json");
    const agent = agent_id !== undefined ? { id: agent_id } : { name: agent_name ?? "" };
    return c.json(await createSession(c.env, c.var.db, c.var.principal.orgId, agent, input, c.var.d1), 201);
  })
  .openapi(getSessionRoute, async (c) => {
    return c.json(await sessionClient(c, c.req.valid("param").session_id).view(), 200);
  })
  .openapi(updateSessionRoute, async (c) => {
    return c.json(await sessionClient(c, c.req.valid("param").session_id).update(c.req.valid("json")), 200);
  })
  .openapi(deleteSessionRoute, async (c) => {
    await sessionClient(c, c.req.valid("param").session_id).destroy();
    return c.body(null, 204);
  });
