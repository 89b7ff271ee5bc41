import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { traits } from "../middleware/traits";
import { ApiKeySchema, CreateApiKeySchema, CreatedApiKeySchema } from "../schemas/auth";
import { errorResponses, idParam, jsonBody, jsonResponse } from "../schemas/common";
import { createApiKey, listApiKeys, revokeApiKey } from "../services/api-keys";

const tags = ["Auth"];

const listApiKeysRoute = createRoute({
  method: "get",
  path: "/v1/auth/api-keys",
  // An admin checking a revocation must not see the key still active from a replica that lags.
  middleware: traits({ access: "org", reads: "latest" }),
  operationId: "listApiKeys",
  tags,
  summary: "Your API keys in this organization, by prefix (the full key is never shown again)",
  responses: {
    200: jsonResponse(z.object({ data: z.array(ApiKeySchema) }), "Your keys, newest first"),
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const createApiKeyRoute = createRoute({
  method: "post",
  path: "/v1/auth/api-keys",
  middleware: traits({ access: "org", idempotent: true }),
  operationId: "createApiKey",
  tags,
  summary: "Create an API key that acts as you in this organization; the full key is in this response only",
  request: { body: jsonBody(CreateApiKeySchema) },
  responses: {
    201: jsonResponse(CreatedApiKeySchema, "The new key, shown once"),
    ...errorResponses(400, 401, 403, 404, 413, 415, 429),
  },
});

const deleteApiKeyRoute = createRoute({
  method: "delete",
  path: "/v1/auth/api-keys/{key_id}",
  middleware: traits({ access: "org" }),
  operationId: "deleteApiKey",
  tags,
  summary: "Revoke one of your API keys; it stops working at once",
  request: { params: z.object({ key_id: idParam("key", "key_id") }) },
  responses: { 204: { description: "Revoked" }, ...errorResponses(400, 401, 403, 404, 429) },
});

export const apiKeysRouter = createRouter()
  .openapi(listApiKeysRoute, async (c) => c.json({ data: await listApiKeys(c.var.db, c.var.principal) }, 200))
  .openapi(createApiKeyRoute, async (c) => c.json(await createApiKey(c.var.db, c.var.principal, c.req.valid("json")), 201))
  .openapi(deleteApiKeyRoute, async (c) => {
    await revokeApiKey(c.var.db, c.var.principal, c.req.valid("param").key_id);
    return c.body(null, 204);
  });
