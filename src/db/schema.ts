import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { ClientTool } from "../schemas/tools";
import { sessionRecordColumns } from "./session-columns";

/**
 * The D1 schema. Every tenant-owned row carries `org_id`; list queries are backed by
 * the indexes declared here. JSON columns hold API-shaped values (tags, content, config).
 */

export const orgs = sqliteTable("orgs", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  name: text("name").notNull(),
  passwordHash: text("password_hash").notNull(),
  defaultOrgId: text("default_org_id")
    .notNull()
    .references(() => orgs.id),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

export const memberships = sqliteTable(
  "memberships",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["owner", "admin", "member"] }).notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.userId] }), index("memberships_user_idx").on(t.userId)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    expiresAt: text("expires_at"),
    lastUsedAt: text("last_used_at"),
    revokedAt: text("revoked_at"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("api_keys_user_idx").on(t.userId, t.createdAt)],
);

export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    familyId: text("family_id").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    expiresAt: text("expires_at").notNull(),
    usedAt: text("used_at"),
    revokedAt: text("revoked_at"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("refresh_tokens_family_idx").on(t.familyId)],
);

export const agents = sqliteTable(
  "agents",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description"),
    systemPrompt: text("system_prompt").notNull(),
    defaultModelId: text("default_model_id"),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull(),
    /** Client-side tools (`[{type: "client_side", name, description, parameters}]`). */
    tools: text("tools", { mode: "json" }).$type<ClientTool[]>().notNull().default([]),
    /** Whether a reply's built-in tool calls run in parallel (null: yes). */
    parallelToolCalls: integer("parallel_tool_calls", { mode: "boolean" }),
    status: text("status", { enum: ["active", "archived"] }).notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("agents_org_status_created_idx").on(t.orgId, t.status, t.createdAt, t.id)],
);

/** An agent's capabilities, in order. Replaced as a whole on update. */
export const agentCapabilities = sqliteTable(
  "agent_capabilities",
  {
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    ref: text("ref").notNull(),
    config: text("config", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.position] })],
);

/**
 * The sessions index: what `GET /v1/sessions` filters, sorts and shows. Each session's own Durable
 * Object owns its data (messages, events, turn state) and writes this row after each change,
 * off the path clients wait on; `index_version` is the object's version the row was written from,
 * so a late or repeated write never overwrites a newer one.
 */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    ...sessionRecordColumns(),
    indexVersion: integer("index_version").notNull().default(0),
  },
  (t) => [
    index("sessions_org_created_idx").on(t.orgId, t.createdAt, t.id),
    index("sessions_agent_created_idx").on(t.agentId, t.createdAt, t.id),
  ],
);

export const llmProviders = sqliteTable(
  "llm_providers",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    providerType: text("provider_type", { enum: ["openai", "anthropic", "llmsim"] }).notNull(),
    baseUrl: text("base_url"),
    /** AES-256-GCM ciphertext (`v1:<key id>:<iv>:<ciphertext>`, base64 parts), never returned. */
    apiKeyEncrypted: text("api_key_encrypted"),
    status: text("status", { enum: ["active", "disabled"] }).notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("llm_providers_org_created_idx").on(t.orgId, t.createdAt)],
);

/** An org's remote MCP servers (Streamable HTTP); an agent uses one through the capability ref `mcp:<id>`. */
export const mcpServers = sqliteTable(
  "mcp_servers",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    /** A slug, unique in the org: tools reach the model as `mcp__<name>__<tool>`. */
    name: text("name").notNull(),
    url: text("url").notNull(),
    /** AES-256-GCM ciphertext of the headers' JSON (bound to the server id), never returned. */
    headersEncrypted: text("headers_encrypted"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [uniqueIndex("mcp_servers_org_name_unique").on(t.orgId, t.name), index("mcp_servers_org_created_idx").on(t.orgId, t.createdAt)],
);

export const llmModels = sqliteTable(
  "llm_models",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    providerId: text("provider_id")
      .notNull()
      .references(() => llmProviders.id, { onDelete: "cascade" }),
    modelId: text("model_id").notNull(),
    displayName: text("display_name"),
    isDefault: integer("is_default", { mode: "boolean" }).notNull().default(false),
    status: text("status", { enum: ["active", "disabled"] }).notNull(),
    /** Tokens the model takes (prompt and reply); null: the default of its provider type (src/lib/context-window.ts). */
    contextWindow: integer("context_window"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("llm_models_provider_idx").on(t.providerId, t.createdAt),
    index("llm_models_org_created_idx").on(t.orgId, t.createdAt),
    uniqueIndex("llm_models_one_default_per_org").on(t.orgId).where(sql`is_default = 1`),
    // A provider names each of its models once: the index, not a check before the insert, is what
    // holds under concurrent creates and renames (its violation is the documented 409).
    uniqueIndex("llm_models_provider_model_unique").on(t.providerId, t.modelId),
  ],
);

/**
 * Idempotency-Key claims of the caller's creating POSTs (messages are remembered by their session
 * object instead). A claim is taken before the route runs (`in_flight`, with a lease so a request
 * that died does not block its retries for long) and completed with the response when it succeeded
 * (`done`); a failure deletes it. The response body is sealed with ENCRYPTION_KEY: an API key's
 * create response holds the key.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    caller: text("caller").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    state: text("state", { enum: ["in_flight", "done"] }).notNull(),
    /** Until when an `in_flight` claim holds (ms since the epoch); past it, a retry takes it over. */
    leaseUntil: integer("lease_until").notNull(),
    status: integer("status"),
    body: text("body"),
    contentType: text("content_type"),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.caller, t.key] }), index("idempotency_keys_expires_idx").on(t.expiresAt)],
);

/**
 * Webhook endpoints of an org (docs/WEBHOOKS.md). The signing secret is sealed with
 * ENCRYPTION_KEY (bound to the endpoint id) and never returned after create and rotation; during
 * a rotation the previous one is kept, sealed the same way, until `previous_secret_expires_at`.
 * `failing_since` is the time of the first failed attempt since the last success: past 3 days,
 * the endpoint is disabled with `disabled_reason`.
 */
export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    description: text("description"),
    eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull(),
    status: text("status", { enum: ["enabled", "disabled"] }).notNull(),
    disabledReason: text("disabled_reason"),
    secretEncrypted: text("secret_encrypted").notNull(),
    previousSecretEncrypted: text("previous_secret_encrypted"),
    previousSecretExpiresAt: text("previous_secret_expires_at"),
    failingSince: text("failing_since"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("webhooks_org_created_idx").on(t.orgId, t.createdAt, t.id)],
);

/**
 * One row per delivery attempt (and one when the queue gave up on a message), kept 7 days: what
 * `GET /v1/webhooks/{id}/deliveries` pages through, newest first.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    webhookId: text("webhook_id")
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    orgId: text("org_id").notNull(),
    /** The Standard Webhooks `webhook-id`: the same for every attempt of one message. */
    messageId: text("message_id").notNull(),
    eventType: text("event_type").notNull(),
    /** 1 for the first attempt; null on the row that records the dead-lettering. */
    attempt: integer("attempt"),
    status: text("status", { enum: ["succeeded", "failed", "dead_lettered"] }).notNull(),
    responseStatus: integer("response_status"),
    durationMs: integer("duration_ms"),
    error: text("error"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("webhook_deliveries_webhook_created_idx").on(t.webhookId, t.createdAt, t.id)],
);
