import { z } from "@hono/zod-openapi";
import type { llmModels, llmProviders } from "../db/schema";
import { CONTEXT_WINDOW_RANGE } from "../lib/context-window";
import { boundedString } from "./common";

/** Field limits of LLM providers and models. */
const LLM_LIMITS = {
  nameBytes: 256,
  baseUrlBytes: 2048,
  apiKeyBytes: 4096,
  modelIdBytes: 256,
  displayNameBytes: 256,
} as const;

const ProviderType = z.enum(["openai", "anthropic", "llmsim"]).openapi({
  description:
    "`openai`: Chat Completions of OpenAI or any OpenAI-compatible server; `anthropic`: Messages API; `llmsim`: built-in offline simulator",
  example: "openai",
});

const Status = z.enum(["active", "disabled"]).openapi({ description: "Disabled providers and models are skipped by model resolution" });

const Timestamp = z.string().openapi({ example: "2026-11-22T18:00:00.000Z" });

/**
 * An http(s) URL without credentials (base_url is returned by the API, unlike api_key). Whether
 * its address may be private and its scheme plain http depends on ALLOW_PRIVATE_PROVIDER_URLS,
 * which the service checks (src/llm/provider-url.ts): off, it must be a public https URL.
 */
const BaseUrl = boundedString(LLM_LIMITS.baseUrlBytes)
  .pipe(z.url({ protocol: /^https?$/, message: "Must be an http or https URL" }))
  .refine((v) => {
    const url = URL.parse(v);
    return url === null || (url.username === "" && url.password === "");
  }, "Must not contain credentials; send the key as api_key")
  .openapi({
    description:
      "The API's base URL as the vendor's SDK takes it; null uses the public endpoint. " +
      "A public https URL, unless the server allows private ones (ALLOW_PRIVATE_PROVIDER_URLS)",
    example: "https://api.openai.com/v1",
  });

const ApiKey = boundedString(LLM_LIMITS.apiKeyBytes)
  .pipe(z.string().min(1))
  .openapi({ description: "Write-only: encrypted at rest, never returned", example: "sk-…" });

const Name = boundedString(LLM_LIMITS.nameBytes).pipe(z.string().trim().min(1));

export const LlmProviderSchema = z
  .object({
    id: z.string().openapi({ example: "provider_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    name: z.string().openapi({ example: "OpenAI" }),
    provider_type: ProviderType,
    base_url: z.string().nullable().openapi({ description: "null: the provider's public endpoint" }),
    api_key_set: z.boolean().openapi({ description: "Whether an API key is stored (the key itself is never returned)" }),
    status: Status,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("LlmProvider");

export const CreateLlmProviderSchema = z
  .object({
    name: Name.openapi({ example: "OpenAI" }),
    provider_type: ProviderType,
    base_url: BaseUrl.nullable().optional(),
    api_key: ApiKey.nullable().optional(),
    status: Status.default("active"),
  })
  .openapi("CreateLlmProvider");

export const UpdateLlmProviderSchema = z
  .object({
    name: Name,
    provider_type: ProviderType,
    base_url: BaseUrl.nullable(),
    api_key: ApiKey.nullable().openapi({ description: "A new key replaces the stored one; null removes it" }),
    status: Status,
  })
  .partial()
  .openapi("UpdateLlmProvider");

export const ReencryptResultSchema = z
  .object({
    re_encrypted: z.number().int().openapi({ description: "Keys that were sealed with an older key and now use ENCRYPTION_KEY" }),
    unreadable: z.array(z.string()).openapi({
      description: "Providers whose stored key neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS opens; set their api_key again",
    }),
    total: z.number().int().openapi({ description: "Providers of the organization with a stored key" }),
  })
  .openapi("ReencryptResult");

/** A model's context window as a client sets it. */
const ContextWindow = z
  .number()
  .int()
  .min(CONTEXT_WINDOW_RANGE.min)
  .max(CONTEXT_WINDOW_RANGE.max)
  .openapi({
    description: `Tokens the model takes, prompt and reply (${CONTEXT_WINDOW_RANGE.min} to ${CONTEXT_WINDOW_RANGE.max}); null or absent: the provider type's default. A turn leaves the oldest turns out of a prompt that would not fit`,
    example: 128000,
  });

export const LlmModelSchema = z
  .object({
    id: z.string().openapi({ example: "model_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    provider_id: z.string(),
    model_id: z.string().openapi({ description: "The provider's model name", example: "gpt-4o-mini" }),
    display_name: z.string().nullable().openapi({ example: "GPT-4o mini" }),
    is_default: z.boolean().openapi({ description: "The organization's default model (at most one)" }),
    status: Status,
    context_window: z.number().int().nullable().openapi({
      description:
        "Tokens the model takes (prompt and reply); null: its provider type's default (openai 128,000, anthropic 200,000, llmsim 8,192)",
      example: 128000,
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("LlmModel");

export const LlmModelWithProviderSchema = LlmModelSchema.extend({
  provider: z.object({ id: z.string(), name: z.string(), provider_type: ProviderType }),
}).openapi("LlmModelWithProvider");

export const CreateLlmModelSchema = z
  .object({
    model_id: boundedString(LLM_LIMITS.modelIdBytes).pipe(z.string().trim().min(1)).openapi({ example: "gpt-4o-mini" }),
    display_name: boundedString(LLM_LIMITS.displayNameBytes).nullable().optional(),
    is_default: z.boolean().default(false).openapi({ description: "true makes it the organization's default, replacing the previous one" }),
    status: Status.default("active"),
    context_window: ContextWindow.nullable().optional(),
  })
  .openapi("CreateLlmModel");

export const UpdateLlmModelSchema = z
  .object({
    model_id: boundedString(LLM_LIMITS.modelIdBytes).pipe(z.string().trim().min(1)),
    display_name: boundedString(LLM_LIMITS.displayNameBytes).nullable(),
    is_default: z.boolean().openapi({ description: "true replaces the organization's default; false leaves it without one" }),
    status: Status,
    context_window: ContextWindow.nullable(),
  })
  .partial()
  .openapi("UpdateLlmModel");

export type LlmProvider = z.infer<typeof LlmProviderSchema>;
export type ReencryptResult = z.infer<typeof ReencryptResultSchema>;
export type LlmModel = z.infer<typeof LlmModelSchema>;
export type LlmModelWithProvider = z.infer<typeof LlmModelWithProviderSchema>;
export type CreateLlmProviderInput = z.infer<typeof CreateLlmProviderSchema>;
export type UpdateLlmProviderInput = z.infer<typeof UpdateLlmProviderSchema>;
export type CreateLlmModelInput = z.infer<typeof CreateLlmModelSchema>;
export type UpdateLlmModelInput = z.infer<typeof UpdateLlmModelSchema>;
type ModelRow = typeof llmModels.$inferSelect;
type ProviderRow = typeof llmProviders.$inferSelect;
/** What a model's answer shows of its provider. */
export type ProviderSummary = Pick<ProviderRow, "id" | "name" | "providerType">;

/** The one mapping from a model row to the API object. */
export function toLlmModel(row: ModelRow): LlmModel {
  return {
    id: row.id,
    provider_id: row.providerId,
    model_id: row.modelId,
    display_name: row.displayName ?? null,
    is_default: row.isDefault,
    status: row.status,
    context_window: row.contextWindow ?? null,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/** A model with the summary of its provider, for the `/v1/llm-models` routes. */
export function toLlmModelWithProvider(row: ModelRow, provider: ProviderSummary): LlmModelWithProvider {
  return { ...toLlmModel(row), provider: { id: provider.id, name: provider.name, provider_type: provider.providerType } };
}

/** The one mapping from a provider row to the API object: the key and its ciphertext never leave. */
export function toLlmProvider(row: ProviderRow): LlmProvider {
  return {
    id: row.id,
    name: row.name,
    provider_type: row.providerType,
    base_url: row.baseUrl ?? null,
    api_key_set: row.apiKeyEncrypted !== null,
    status: row.status,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
