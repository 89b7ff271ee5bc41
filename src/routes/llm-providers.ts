import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { traits } from "../middleware/traits";
import { errorResponses, idParam, jsonBody, jsonResponse } from "../schemas/common";
import { CreateLlmProviderSchema, LlmProviderSchema, ReencryptResultSchema, toLlmProvider, UpdateLlmProviderSchema } from "../schemas/llm";
import {
  createProvider,
  deleteProvider,
  getProviderRow,
  listProviders,
  reencryptProviderKeys,
  updateProvider,
} from "../services/llm-providers";

const tags = ["LLM providers"];
const ProviderParams = z.object({ provider_id: idParam("provider", "provider_id") });

const listProvidersRoute = createRoute({
  method: "get",
  path: "/v1/llm-providers",
  middleware: traits({ access: "org" }),
  operationId: "listLlmProviders",
  tags,
  summary: "List the organization's LLM providers, newest first",
  responses: { 200: jsonResponse(z.object({ data: z.array(LlmProviderSchema) }), "Providers"), ...errorResponses(400, 401, 429) },
});

const createProviderRoute = createRoute({
  method: "post",
  path: "/v1/llm-providers",
  middleware: traits({ access: "org", idempotent: true, role: "admin" }),
  operationId: "createLlmProvider",
  tags,
  summary: "Add an LLM provider (admin); api_key is encrypted at rest and never returned",
  request: { body: jsonBody(CreateLlmProviderSchema) },
  responses: { 201: jsonResponse(LlmProviderSchema, "The new provider"), ...errorResponses(400, 401, 403, 413, 415, 429) },
});

const getProviderRoute = createRoute({
  method: "get",
  path: "/v1/llm-providers/{provider_id}",
  middleware: traits({ access: "org" }),
  operationId: "getLlmProvider",
  tags,
  summary: "Get an LLM provider",
  request: { params: ProviderParams },
  responses: { 200: jsonResponse(LlmProviderSchema, "The provider"), ...errorResponses(400, 401, 404, 429) },
});

const updateProviderRoute = createRoute({
  method: "patch",
  path: "/v1/llm-providers/{provider_id}",
  middleware: traits({ access: "org", role: "admin" }),
  operationId: "updateLlmProvider",
  tags,
  summary: "Update an LLM provider (admin; partial; api_key null removes the key; re-encrypts a stored key with the current key)",
  request: { params: ProviderParams, body: jsonBody(UpdateLlmProviderSchema) },
  responses: { 200: jsonResponse(LlmProviderSchema, "The updated provider"), ...errorResponses(400, 401, 403, 404, 413, 415, 429) },
});

const deleteProviderRoute = createRoute({
  method: "delete",
  path: "/v1/llm-providers/{provider_id}",
  middleware: traits({ access: "org", role: "admin" }),
  operationId: "deleteLlmProvider",
  tags,
  summary: "Remove an LLM provider and its models (admin)",
  request: { params: ProviderParams },
  responses: { 204: { description: "Removed" }, ...errorResponses(400, 401, 403, 404, 429) },
});

const reencryptRoute = createRoute({
  method: "post",
  path: "/v1/llm-providers/re-encrypt",
  middleware: traits({ access: "org", role: "admin" }),
  operationId: "reencryptLlmProviderKeys",
  tags,
  summary: "Re-encrypt the organization's stored provider keys with the current ENCRYPTION_KEY (admin; after a key rotation)",
  responses: { 200: jsonResponse(ReencryptResultSchema, "How many keys were re-encrypted"), ...errorResponses(400, 401, 403, 429) },
});

export const llmProvidersRouter = createRouter()
  .openapi(listProvidersRoute, async (c) => c.json({ data: await listProviders(c.var.db, c.var.principal.orgId) }, 200))
  .openapi(createProviderRoute, async (c) => c.json(await createProvider(c.var.db, c.env, c.var.principal.orgId, c.req.valid("json")), 201))
  .openapi(reencryptRoute, async (c) => c.json(await reencryptProviderKeys(c.var.db, c.env, c.var.principal.orgId), 200))
  .openapi(getProviderRoute, async (c) =>
    c.json(toLlmProvider(await getProviderRow(c.var.db, c.var.principal.orgId, c.req.valid("param").provider_id)), 200),
  )
  .openapi(updateProviderRoute, async (c) => {
    const { provider_id } = c.req.valid("param");
    return c.json(await updateProvider(c.var.db, c.env, c.var.principal.orgId, provider_id, c.req.valid("json")), 200);
  })
  .openapi(deleteProviderRoute, async (c) => {
    await deleteProvider(c.var.db, c.var.principal.orgId, c.req.valid("param").provider_id);
    return c.body(null, 204);
  });
