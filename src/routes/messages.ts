import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { errorResponses, idParam, jsonBody, jsonResponse } from "../schemas/common";
import { CreateMessageSchema, MessageSchema } from "../schemas/messages";
import { listMessages, toMessage } from "../services/messages";
import { getSessionRow } from "../services/sessions";
import { sessionStub } from "../session/stub";
import { assertModelInOrg } from "../services/models";

const tags = ["Messages"];
const SessionParams = z.object({ session_id: idParam("session", "session_id") });

const listMessagesRoute = createRoute({
  method: "get",
  path: "/v1/sessions/{session_id}/messages",
  operationId: "listMessages",
  tags,
  summary: "List a session's messages in order",
  request: { params: SessionParams },
  responses: { 200: jsonResponse(z.object({ data: z.array(MessageSchema) }), "The messages"), ...errorResponses(400, 401, 404, 429) },
});

const createMessageRoute = createRoute({
  method: "post",
  path: "/v1/sessions/{session_id}/messages",
  operationId: "createMessage",
  tags,
  summary: "Send a user message: it starts a turn, or queues behind the running one",
  request: { params: SessionParams, body: jsonBody(CreateMessageSchema) },
  responses: { 201: jsonResponse(MessageSchema, "The stored message"), ...errorResponses(400, 401, 404, 413, 415, 422, 429) },
});

const cancelRoute = createRoute({
  method: "post",
  path: "/v1/sessions/{session_id}/cancel",
  operationId: "cancelSession",
  tags: ["Sessions"],
  summary: "Cancel the running turn (idempotent)",
  request: { params: SessionParams },
  responses: {
    200: jsonResponse(z.object({ status: z.enum(["cancelled", "no_op"]) }).openapi("CancelResult"), "What the cancel did"),
    ...errorResponses(400, 401, 404, 429),
  },
});

export const messagesRouter = createRouter()
  .openapi(listMessagesRoute, async (c) => {
    const session = await getSessionRow(c.var.db, c.var.principal.orgId, c.req.valid("param").session_id);
    const rows = await listMessages(c.var.db, session.id);
    return c.json({ data: rows.map(toMessage) }, 200);
  })
  .openapi(createMessageRoute, async (c) => {
    const { orgId } = c.var.principal;
    const session = await getSessionRow(c.var.db, orgId, c.req.valid("param").session_id);
    const body = c.req.valid("json");
    await assertModelInOrg(c.var.db, orgId, body.controls?.model_id, "body.controls.model_id");
    const metadata = body.metadata || body.tags ? { ...(body.metadata ?? {}), ...(body.tags ? { tags: body.tags } : {}) } : null;
    const message = await sessionStub(c.env, session.id).postMessage(
      { sessionId: session.id, orgId },
      { content: body.message.content, controls: body.controls ?? null, metadata },
    );
    return c.json(message, 201);
  })
  .openapi(cancelRoute, async (c) => {
    const { orgId } = c.var.principal;
    const session = await getSessionRow(c.var.db, orgId, c.req.valid("param").session_id);
    return c.json(await sessionStub(c.env, session.id).cancel({ sessionId: session.id, orgId }), 200);
  });
