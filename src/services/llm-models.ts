import { and, desc, eq, ne } from "drizzle-orm";
import type { Database } from "../db/client";
import { llmModels, llmProviders } from "../db/schema";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { isUniqueViolation } from "../lib/redact";
import { nowIso } from "../lib/time";
import type { CreateLlmModelInput, LlmModel, LlmModelWithProvider, UpdateLlmModelInput } from "../schemas/llm";
import { type ProviderSummary, toLlmModel, toLlmModelWithProvider } from "../schemas/llm";
import { getProviderRow } from "./llm-providers";

type ModelRow = typeof llmModels.$inferSelect;

const providerSummary = { id: llmProviders.id, name: llmProviders.name, providerType: llmProviders.providerType };

/** A model of the org with its provider, or 404 `model_not_found` (the same for another org's id). */
async function getModelWithProvider(db: Database, orgId: string, modelId: string): Promise<{ model: ModelRow; provider: ProviderSummary }> {
  const found = await db
    .select({ model: llmModels, provider: providerSummary })
    .from(llmModels)
    .innerJoin(llmProviders, eq(llmModels.providerId, llmProviders.id))
    .where(and(eq(llmModels.id, modelId), eq(llmModels.orgId, orgId)))
    .get();
  if (!found) throw new ApiError("model_not_found");
  return found;
}

/** The columns of the index that keeps a provider's model names unique (schema.ts), as SQLite names them. */
const MODEL_NAME_INDEX = "llm_models.provider_id, llm_models.model_id";

/**
 * Runs a write that may give a provider a second model of the same name: the unique index refuses
 * it, whatever raced with it, and that refusal is the documented 409.
 */
async function namingModel<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!isUniqueViolation(err, MODEL_NAME_INDEX)) throw err;
    throw new ApiError("conflict", {
      detail: "This provider already has a model with this model_id",
      errors: [{ path: "body.model_id", message: "Already exists for this provider" }],
    });
  }
}

/** Clears the org's current default (other than `keepId`); batched with the write that sets the new one. */
function clearDefault(db: Database, orgId: string, keepId: string, now: string) {
  return db
    .update(llmModels)
    .set({ isDefault: false, updatedAt: now })
    .where(and(eq(llmModels.orgId, orgId), eq(llmModels.isDefault, true), ne(llmModels.id, keepId)));
}

/** A provider's models, newest first (404 for an unknown or foreign provider). */
export async function listProviderModels(db: Database, orgId: string, providerId: string): Promise<LlmModel[]> {
  await getProviderRow(db, orgId, providerId);
  const rows = await db
    .select()
    .from(llmModels)
    .where(and(eq(llmModels.providerId, providerId), eq(llmModels.orgId, orgId)))
    .orderBy(desc(llmModels.createdAt), desc(llmModels.id));
  return rows.map(toLlmModel);
}

/** Adds a model to a provider; `is_default` replaces the org's default in the same batch. */
export async function createModel(db: Database, orgId: string, providerId: string, input: CreateLlmModelInput): Promise<LlmModel> {
  await getProviderRow(db, orgId, providerId);
  const id = newId("model");
  const now = nowIso();
  const insert = db
    .insert(llmModels)
    .values({
      id,
      orgId,
      providerId,
      modelId: input.model_id,
      displayName: input.display_name ?? null,
      isDefault: input.is_default,
      status: input.status,
      contextWindow: input.context_window ?? null,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  const rows = await namingModel(async () =>
    input.is_default ? (await db.batch([clearDefault(db, orgId, id, now), insert]))[1] : await insert,
  );
  const row = rows[0];
  if (!row) throw new Error("model insert returned no row");
  return toLlmModel(row);
}

/** The org's models with their providers, newest first. */
export async function listModels(db: Database, orgId: string): Promise<LlmModelWithProvider[]> {
  const rows = await db
    .select({ model: llmModels, provider: providerSummary })
    .from(llmModels)
    .innerJoin(llmProviders, eq(llmModels.providerId, llmProviders.id))
    .where(and(eq(llmModels.orgId, orgId), eq(llmProviders.orgId, orgId)))
    .orderBy(desc(llmModels.createdAt), desc(llmModels.id));
  return rows.map((r) => toLlmModelWithProvider(r.model, r.provider));
}

export async function getModel(db: Database, orgId: string, modelId: string): Promise<LlmModelWithProvider> {
  const { model, provider } = await getModelWithProvider(db, orgId, modelId);
  return toLlmModelWithProvider(model, provider);
}

/** Partial update; `is_default: true` replaces the org's default in the same batch. */
export async function updateModel(db: Database, orgId: string, modelId: string, input: UpdateLlmModelInput): Promise<LlmModelWithProvider> {
  const { model, provider } = await getModelWithProvider(db, orgId, modelId);
  const now = nowIso();
  const update = db
    .update(llmModels)
    .set({
      modelId: input.model_id ?? model.modelId,
      displayName: input.display_name === undefined ? model.displayName : input.display_name,
      isDefault: input.is_default ?? model.isDefault,
      status: input.status ?? model.status,
      contextWindow: input.context_window === undefined ? model.contextWindow : input.context_window,
      updatedAt: now,
    })
    .where(and(eq(llmModels.id, modelId), eq(llmModels.orgId, orgId)))
    .returning();
  const rows = await namingModel(async () =>
    input.is_default === true ? (await db.batch([clearDefault(db, orgId, modelId, now), update]))[1] : await update,
  );
  const row = rows[0];
  if (!row) throw new ApiError("model_not_found");
  return toLlmModelWithProvider(row, provider);
}

export async function deleteModel(db: Database, orgId: string, modelId: string): Promise<void> {
  const deleted = await db
    .delete(llmModels)
    .where(and(eq(llmModels.id, modelId), eq(llmModels.orgId, orgId)))
    .returning({ id: llmModels.id })
    .get();
  if (!deleted) throw new ApiError("model_not_found");
}
