import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { traits } from "../middleware/traits";
import { errorResponses, idParam, jsonResponse } from "../schemas/common";
import { LlmModelWithProviderSchema, LlmProviderSchema, toLlmProvider } from "../schemas/llm";
import { getModel, listModels } from "../services/llm-models";
import { getProviderRow, listProviders } from "../services/llm-providers";

/**
 * Upstream Everruns's current names for the model and provider reads (the official SDK's
 * `models.list()` / `models.get()` call `/v1/models`): read-only aliases answering exactly what
 * `/v1/llm-models` and `/v1/llm-providers` answer. Writes stay on the `llm-` routes.
 */
const tags = ["LLM models"];
const ModelParams = z.object({ model_id: idParam("model", "model_id") });
const ProviderParams = z.object({ provider_id: idParam("provider", "provider_id") });

const listModelsAlias = createRoute({
  method: "get",
  path: "/v1/models",
  operationId: "listModels",
  middleware: traits({ access: "org" }),
  tags,
  summary: "List the organization's models (upstream's name; same as GET /v1/llm-models)",
  responses: { 200: jsonResponse(z.object({ data: z.array(LlmModelWithProviderSchema) }), "Models"), ...errorResponses(400, 401, 429) },
});

const getModelAlias = createRoute({
  method: "get",
  path: "/v1/models/{model_id}",
  operationId: "getModel",
  middleware: traits({ access: "org" }),
  tags,
  summary: "Get a model with its provider (upstream's name; same as GET /v1/llm-models/{model_id})",
  request: { params: ModelParams },
  responses: { 200: jsonResponse(LlmModelWithProviderSchema, "The model"), ...errorResponses(400, 401, 404, 429) },
});

const listProvidersAlias = createRoute({
  method: "get",
  path: "/v1/providers",
  operationId: "listProviders",
  middleware: traits({ access: "org" }),
  tags: ["LLM providers"],
  summary: "List the organization's LLM providers (upstream's name; same as GET /v1/llm-providers)",
  responses: { 200: jsonResponse(z.object({ data: z.array(LlmProviderSchema) }), "Providers"), ...errorResponses(400, 401, 429) },
});

const getProviderAlias = createRoute({
  method: "get",
  path: "/v1/providers/{provider_id}",
  operationId: "getProvider",
  middleware: traits({ access: "org" }),
  tags: ["LLM providers"],
  summary: "Get an LLM provider (upstream's name; same as GET /v1/llm-providers/{provider_id})",
  request: { params: ProviderParams },
  responses: { 200: jsonResponse(LlmProviderSchema, "The provider"), ...errorResponses(400, 401, 404, 429) },
});

export const upstreamAliasesRouter = createRouter()
  .openapi(listModelsAlias, async (c) => c.json({ data: await listModels(c.var.db, c.var.principal.orgId) }, 200))
  .openapi(getModelAlias, async (c) => c.json(await getModel(c.var.db, c.var.principal.orgId, c.req.valid("param").model_id), 200))
  .openapi(listProvidersAlias, async (c) => c.json({ data: await listProviders(c.var.db, c.var.principal.orgId) }, 200))
  .openapi(getProviderAlias, async (c) =>
    c.json(toLlmProvider(await getProviderRow(c.var.db, c.var.principal.orgId, c.req.valid("param").provider_id)), 200),
  );
