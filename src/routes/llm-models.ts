import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { traits } from "../middleware/traits";
import { errorResponses, idParam, jsonBody, jsonResponse } from "../schemas/common";
import { CreateLlmModelSchema, LlmModelSchema, LlmModelWithProviderSchema, UpdateLlmModelSchema } from "../schemas/llm";
import { createModel, deleteModel, getModel, listModels, listProviderModels, updateModel } from "../services/llm-models";

const tags = ["LLM models"];
const ProviderParams = z.object({ provider_id: idParam("provider", "provider_id") });
const ModelParams = z.object({ model_id: idParam("model", "model_id") });

const listProviderModelsRoute = createRoute({
  method: "get",
  path: "/v1/llm-providers/{provider_id}/models",
  middleware: traits({ access: "org" }),
  operationId: "listLlmProviderModels",
  tags,
  summary: "List a provider's models, newest first",
  request: { params: ProviderParams },
  responses: { 200: jsonResponse(z.object({ data: z.array(LlmModelSchema) }), "Models"), ...errorResponses(400, 401, 404, 429) },
});

const createModelRoute = createRoute({
  method: "post",
  path: "/v1/llm-providers/{provider_id}/models",
  middleware: traits({ access: "org", idempotent: true, role: "admin" }),
  operationId: "createLlmModel",
  tags,
  summary: "Add a model to a provider (admin); is_default true makes it the organization's default",
  request: { params: ProviderParams, body: jsonBody(CreateLlmModelSchema) },
  responses: { 201: jsonResponse(LlmModelSchema, "The new model"), ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429) },
});

const listModelsRoute = createRoute({
  method: "get",
  path: "/v1/llm-models",
  middleware: traits({ access: "org" }),
  operationId: "listLlmModels",
  tags,
  summary: "List the organization's models with their provider, newest first",
  responses: { 200: jsonResponse(z.object({ data: z.array(LlmModelWithProviderSchema) }), "Models"), ...errorResponses(400, 401, 429) },
});

const getModelRoute = createRoute({
  method: "get",
  path: "/v1/llm-models/{model_id}",
  middleware: traits({ access: "org" }),
  operationId: "getLlmModel",
  tags,
  summary: "Get a model with its provider",
  request: { params: ModelParams },
  responses: { 200: jsonResponse(LlmModelWithProviderSchema, "The model"), ...errorResponses(400, 401, 404, 429) },
});

const updateModelRoute = createRoute({
  method: "patch",
  path: "/v1/llm-models/{model_id}",
  middleware: traits({ access: "org", role: "admin" }),
  operationId: "updateLlmModel",
  tags,
  summary: "Update a model (admin; partial); is_default true replaces the organization's default",
  request: { params: ModelParams, body: jsonBody(UpdateLlmModelSchema) },
  responses: {
    200: jsonResponse(LlmModelWithProviderSchema, "The updated model"),
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429),
  },
});

const deleteModelRoute = createRoute({
  method: "delete",
  path: "/v1/llm-models/{model_id}",
  middleware: traits({ access: "org", role: "admin" }),
  operationId: "deleteLlmModel",
  tags,
  summary: "Remove a model (admin); agents and sessions naming it fall through to the next model in resolution",
  request: { params: ModelParams },
  responses: { 204: { description: "Removed" }, ...errorResponses(400, 401, 403, 404, 429) },
});

export const llmModelsRouter = createRouter()
  .openapi(listProviderModelsRoute, async (c) => {
    const { provider_id } = c.req.valid("param");
    return c.json({ data: await listProviderModels(c.var.db, c.var.principal.orgId, provider_id) }, 200);
  })
  .openapi(createModelRoute, async (c) => {
    const { provider_id } = c.req.valid("param");
    return c.json(await createModel(c.var.db, c.var.principal.orgId, provider_id, c.req.valid("json")), 201);
  })
  .openapi(listModelsRoute, async (c) => c.json({ data: await listModels(c.var.db, c.var.principal.orgId) }, 200))
  .openapi(getModelRoute, async (c) => c.json(await getModel(c.var.db, c.var.principal.orgId, c.req.valid("param").model_id), 200))
  .openapi(updateModelRoute, async (c) => {
    const { model_id } = c.req.valid("param");
    return c.json(await updateModel(c.var.db, c.var.principal.orgId, model_id, c.req.valid("json")), 200);
  })
  .openapi(deleteModelRoute, async (c) => {
    await deleteModel(c.var.db, c.var.principal.orgId, c.req.valid("param").model_id);
    return c.body(null, 204);
  });
