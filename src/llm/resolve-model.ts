import { and, eq, inArray, or, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { llmModels, llmProviders } from "../db/schema";
import { decryptSecret, type EncryptionEnv } from "../lib/encryption";
import { logLine } from "../lib/log";
import type { ProviderConfig } from "./types";

/** The model ids a turn may name, most specific first; null/undefined means "not set at this level". */
export interface ModelRefs {
  /** `controls.model_id` of the input message. */
  messageModelId?: string | null;
  /** The session's `model_id`. */
  sessionModelId?: string | null;
  /** The agent's `default_model_id`. */
  agentModelId?: string | null;
}

/** What a turn calls: the model row chosen (null for the built-in), the provider's model name and its provider. */
export interface ResolvedModel {
  modelId: string | null;
  model: string;
  provider: ProviderConfig;
  /** The model's own context window, or null for its provider type's default (context-window.ts). */
  contextWindow: number | null;
}

/** The built-in simulator: the last resort, so a fresh install works offline. */
export const BUILTIN_MODEL: ResolvedModel = Object.freeze({
  modelId: null,
  model: "llmsim-model",
  provider: Object.freeze({ type: "llmsim", baseUrl: null, apiKey: null }),
  contextWindow: null,
});

const LEVELS = ["messageModelId", "sessionModelId", "agentModelId"] as const;

/**
 * The query for every model a turn could resolve to: the ones named (`ids`, plus those `alsoIn`
 * selects, such as the agent's default model) and the org's default, each with its provider.
 * Not awaited, so a turn can run it in the same D1 batch as its other reads.
 */
export function modelCandidates(db: Database, orgId: string, ids: string[], alsoIn?: SQLWrapper) {
  const named: SQL[] = [eq(llmModels.isDefault, true)];
  if (ids.length > 0) named.push(inArray(llmModels.id, [...new Set(ids)]));
  if (alsoIn) named.push(inArray(llmModels.id, alsoIn));
  return db
    .select({
      id: llmModels.id,
      model: llmModels.modelId,
      isDefault: llmModels.isDefault,
      modelStatus: llmModels.status,
      contextWindow: llmModels.contextWindow,
      // Aliased: in a D1 batch, rows come back keyed by column name, so two `id` (or `status`) columns would collide.
      providerId: sql<string>`${llmProviders.id}`.as("provider_id"),
      providerType: llmProviders.providerType,
      baseUrl: llmProviders.baseUrl,
      apiKeyEncrypted: llmProviders.apiKeyEncrypted,
      providerStatus: sql<"active" | "disabled">`${llmProviders.status}`.as("provider_status"),
    })
    .from(llmModels)
    .innerJoin(llmProviders, eq(llmModels.providerId, llmProviders.id))
    .where(and(eq(llmModels.orgId, orgId), eq(llmProviders.orgId, orgId), or(...named)));
}

export type ModelCandidate = Awaited<ReturnType<typeof modelCandidates>>[number];

/**
 * Picks the model of a turn (spec §6) from the candidates `modelCandidates` read: message
 * `controls.model_id` → session `model_id` → agent `default_model_id` → the org's default model →
 * the built-in llmsim model.
 *
 * A level is skipped, not failed, when its model is missing from the org (deleted since it was
 * referenced, or never the org's), disabled, or under a disabled provider: routes already reject
 * unknown ids with 422 when they are written, so what is left at turn time is later drift, and
 * disabling a model or provider is how an admin takes it out of service without editing every
 * agent and session. Skips are logged with the model id.
 *
 * The provider's API key is decrypted here and only here, into the returned object that lives
 * for the call. A stored key that cannot be decrypted (wrong/missing ENCRYPTION_KEY, tampering)
 * throws EncryptionError rather than silently falling back to another model.
 */
export async function chooseModel(
  candidates: ModelCandidate[],
  env: EncryptionEnv,
  orgId: string,
  refs: ModelRefs,
): Promise<ResolvedModel> {
  const usable = (c: ModelCandidate | undefined): c is ModelCandidate =>
    c !== undefined && c.modelStatus === "active" && c.providerStatus === "active";
  const ordered: { level: string; id: string; row: ModelCandidate | undefined }[] = [];
  for (const level of LEVELS) {
    const id = refs[level];
    if (id) ordered.push({ level, id, row: candidates.find((c) => c.id === id) });
  }
  const orgDefault = candidates.find((c) => c.isDefault);
  if (orgDefault) ordered.push({ level: "orgDefault", id: orgDefault.id, row: orgDefault });

  for (const { level, id, row } of ordered) {
    if (!usable(row)) {
      logLine("warn", {
        msg: "model skipped during resolution",
        org_id: orgId,
        model_id: id,
        source: level,
        reason: row ? "disabled" : "not_found",
      });
      continue;
    }
    const apiKey = row.apiKeyEncrypted === null ? null : await decryptSecret(env, row.apiKeyEncrypted, row.providerId);
    return {
      modelId: row.id,
      model: row.model,
      provider: { type: row.providerType, baseUrl: row.baseUrl, apiKey },
      contextWindow: row.contextWindow,
    };
  }
  return BUILTIN_MODEL;
}
