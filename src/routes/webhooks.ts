import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { traits } from "../middleware/traits";
import { errorResponses, idParam, jsonBody, jsonResponse, PaginationQuery, paginated } from "../schemas/common";
import {
  CreateWebhookSchema,
  toWebhook,
  UpdateWebhookSchema,
  WebhookDeliverySchema,
  WebhookSchema,
  WebhookTestResultSchema,
  WebhookWithSecretSchema,
} from "../schemas/webhooks";
import {
  createWebhook,
  deleteWebhook,
  getWebhookRow,
  listDeliveries,
  listWebhooks,
  rotateWebhookSecret,
  sendTestEvent,
  updateWebhook,
} from "../services/webhooks";

const tags = ["Webhooks"];
const WebhookParams = z.object({ webhook_id: idParam("webhook", "webhook_id") });
// Every webhook route is an admin's: endpoints receive the org's session activity.
const adminOnly = traits({ access: "org", role: "admin" });

const listWebhooksRoute = createRoute({
  method: "get",
  path: "/v1/webhooks",
  operationId: "listWebhooks",
  tags,
  summary: "List the organization's webhook endpoints, newest first (admin)",
  middleware: adminOnly,
  responses: { 200: jsonResponse(z.object({ data: z.array(WebhookSchema) }), "Endpoints"), ...errorResponses(400, 401, 403, 429) },
});

const createWebhookRoute = createRoute({
  method: "post",
  path: "/v1/webhooks",
  operationId: "createWebhook",
  tags,
  summary: "Register a webhook endpoint (admin); the signing secret is in this answer only",
  middleware: traits({ access: "org", idempotent: true, role: "admin" }),
  request: { body: jsonBody(CreateWebhookSchema) },
  responses: {
    201: jsonResponse(WebhookWithSecretSchema, "The new endpoint, with its secret"),
    ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429),
  },
});

const getWebhookRoute = createRoute({
  method: "get",
  path: "/v1/webhooks/{webhook_id}",
  operationId: "getWebhook",
  tags,
  summary: "Get a webhook endpoint (admin)",
  middleware: adminOnly,
  request: { params: WebhookParams },
  responses: { 200: jsonResponse(WebhookSchema, "The endpoint"), ...errorResponses(400, 401, 403, 404, 429) },
});

const updateWebhookRoute = createRoute({
  method: "patch",
  path: "/v1/webhooks/{webhook_id}",
  operationId: "updateWebhook",
  tags,
  summary: "Update a webhook endpoint (admin; partial; status enabled re-enables a disabled endpoint)",
  middleware: adminOnly,
  request: { params: WebhookParams, body: jsonBody(UpdateWebhookSchema) },
  responses: { 200: jsonResponse(WebhookSchema, "The updated endpoint"), ...errorResponses(400, 401, 403, 404, 413, 415, 429) },
});

const deleteWebhookRoute = createRoute({
  method: "delete",
  path: "/v1/webhooks/{webhook_id}",
  operationId: "deleteWebhook",
  tags,
  summary: "Remove a webhook endpoint and its delivery log (admin)",
  middleware: adminOnly,
  request: { params: WebhookParams },
  responses: { 204: { description: "Removed" }, ...errorResponses(400, 401, 403, 404, 429) },
});

const rotateSecretRoute = createRoute({
  method: "post",
  path: "/v1/webhooks/{webhook_id}/rotate-secret",
  operationId: "rotateWebhookSecret",
  tags,
  summary: "Replace the signing secret (admin); the previous one also signs deliveries for 24 hours",
  middleware: adminOnly,
  request: { params: WebhookParams },
  responses: {
    200: jsonResponse(WebhookWithSecretSchema, "The endpoint, with its new secret"),
    ...errorResponses(400, 401, 403, 404, 409, 429),
  },
});

const listDeliveriesRoute = createRoute({
  method: "get",
  path: "/v1/webhooks/{webhook_id}/deliveries",
  operationId: "listWebhookDeliveries",
  tags,
  summary: "Delivery attempts of the last 7 days, newest first (admin; paginated)",
  middleware: adminOnly,
  request: { params: WebhookParams, query: PaginationQuery },
  responses: { 200: jsonResponse(paginated(WebhookDeliverySchema), "Attempts"), ...errorResponses(400, 401, 403, 404, 429) },
});

const testWebhookRoute = createRoute({
  method: "post",
  path: "/v1/webhooks/{webhook_id}/test",
  operationId: "sendWebhookTestEvent",
  tags,
  summary: "Send a webhook.test event to this endpoint (admin; one attempt, its outcome in the delivery log)",
  middleware: adminOnly,
  request: { params: WebhookParams },
  responses: { 202: jsonResponse(WebhookTestResultSchema, "Queued"), ...errorResponses(400, 401, 403, 404, 429) },
});

export const webhooksRouter = createRouter()
  .openapi(listWebhooksRoute, async (c) => c.json({ data: await listWebhooks(c.var.db, c.var.principal.orgId) }, 200))
  .openapi(createWebhookRoute, async (c) => c.json(await createWebhook(c.var.db, c.env, c.var.principal.orgId, c.req.valid("json")), 201))
  .openapi(getWebhookRoute, async (c) =>
    c.json(toWebhook(await getWebhookRow(c.var.db, c.var.principal.orgId, c.req.valid("param").webhook_id)), 200),
  )
  .openapi(updateWebhookRoute, async (c) => {
    const { webhook_id } = c.req.valid("param");
    return c.json(await updateWebhook(c.var.db, c.env, c.var.principal.orgId, webhook_id, c.req.valid("json")), 200);
  })
  .openapi(deleteWebhookRoute, async (c) => {
    await deleteWebhook(c.var.db, c.var.principal.orgId, c.req.valid("param").webhook_id);
    return c.body(null, 204);
  })
  .openapi(rotateSecretRoute, async (c) =>
    c.json(await rotateWebhookSecret(c.var.db, c.env, c.var.principal.orgId, c.req.valid("param").webhook_id), 200),
  )
  .openapi(listDeliveriesRoute, async (c) => {
    const { webhook_id } = c.req.valid("param");
    return c.json(await listDeliveries(c.var.db, c.var.principal.orgId, webhook_id, c.req.valid("query")), 200);
  })
  .openapi(testWebhookRoute, async (c) =>
    c.json(await sendTestEvent(c.var.db, c.env, c.var.principal.orgId, c.req.valid("param").webhook_id), 202),
  );
