import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { sessionRecordColumns } from "../../db/session-columns";

/**
 * The session object's own SQLite schema (one database per session, local to its Durable
 * Object). Only the object reads and writes it; D1 keeps an index row of `session` for listing.
 * Migrations: `npm run db:generate:session` (drizzle-kit, durable-sqlite driver) into ./migrations.
 */

/** The session itself: one row, written when the object is initialised. */
export const session = sqliteTable("session", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  agentId: text("agent_id").notNull(),
  ...sessionRecordColumns(),
  /** Set when a delete began but the index row could not yet be removed: the session is gone for every caller. */
  deletedAt: text("deleted_at"),
  /** Bumped by every change the D1 index shows; the index row carries the version it was written from. */
  version: integer("version").notNull().default(1),
  /** The version last written to the D1 index (lower than `version`: a write is due). */
  indexedVersion: integer("indexed_version").notNull().default(0),
});

/** The event log. `sequence` is the rowid: 1, 2, 3, … with no gaps, so resume and paging are range scans. */
export const events = sqliteTable(
  "events",
  {
    sequence: integer("sequence").primaryKey(),
    id: text("id").notNull().unique(),
    type: text("type").notNull(),
    ts: text("ts").notNull(),
    turnId: text("turn_id"),
    inputMessageId: text("input_message_id"),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  // The last terminal event, and type-filtered pages, without a scan of the whole log.
  (t) => [index("events_type_sequence_idx").on(t.type, t.sequence)],
);

/** Messages; `sequence` is that of the message's `message.created` event. */
export const messages = sqliteTable("messages", {
  id: text("id").primaryKey(),
  sequence: integer("sequence").notNull().unique(),
  role: text("role", { enum: ["user", "agent", "tool_result"] }).notNull(),
  content: text("content", { mode: "json" }).$type<unknown[]>().notNull(),
  controls: text("controls", { mode: "json" }).$type<Record<string, unknown> | null>(),
  metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown> | null>(),
  createdAt: text("created_at").notNull(),
});

/** User messages waiting for their turn, oldest first. */
export const queue = sqliteTable("queue", {
  position: integer("position").primaryKey({ autoIncrement: true }),
  messageId: text("message_id").notNull().unique(),
  modelId: text("model_id"),
});

/** The running turn (at most one row): what an object restarted mid-turn finds and ends as `interrupted`. */
export const activeTurn = sqliteTable("active_turn", {
  turnId: text("turn_id").primaryKey(),
  inputMessageId: text("input_message_id").notNull(),
  modelId: text("model_id"),
  startedAt: integer("started_at").notNull(),
  /** Model calls made so far, and their usage: a turn parked for client-side tool results goes on from here. */
  iterations: integer("iterations").notNull().default(0),
  inputTokens: integer("input_tokens").notNull().default(0),
  outputTokens: integer("output_tokens").notNull().default(0),
  /** Since when the turn waits for client-side tool results (ms since the epoch), or null. */
  waitingSince: integer("waiting_since"),
  /** Time spent waiting for the client before: it does not count toward the turn's deadline. */
  waitedMs: integer("waited_ms").notNull().default(0),
});

/**
 * The tool calls of a reply that called a client-side tool, while the turn waits for the client:
 * the client's calls and, answered at once, the built-in ones (their results wait here so the turn
 * can go on after a restart). `position` is the call's place in the reply.
 */
export const pendingToolCalls = sqliteTable("pending_tool_calls", {
  toolCallId: text("tool_call_id").primaryKey(),
  turnId: text("turn_id").notNull(),
  position: integer("position").notNull().default(0),
  executor: text("executor", { enum: ["client", "builtin"] })
    .notNull()
    .default("client"),
  name: text("name").notNull(),
  arguments: text("arguments", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  answered: integer("answered", { mode: "boolean" }).notNull().default(false),
  result: text("result", { mode: "json" }).$type<unknown>(),
  error: text("error"),
  /** A built-in tool that broke in a way that is not the model's doing (the turn fails with tool_failed). */
  internal: integer("internal", { mode: "boolean" }).notNull().default(false),
  /** The call's `tool.result` error_code (`mcp_timeout`, `tool_rejected`, …), when it failed with one. */
  errorCode: text("error_code"),
  /**
   * A call of a gated tool: `required` while it waits for a person, `allowed` once allowed and not
   * yet run (it runs when the turn goes on), `rejected` once rejected (answered with the rejection).
   */
  approval: text("approval", { enum: ["required", "allowed", "rejected"] }),
});

/**
 * Every call of this session that waited for approval, and its decision: the record that tells an
 * unknown call (422) from a decided one (409), also after its turn went on.
 */
export const toolApprovals = sqliteTable("tool_approvals", {
  toolCallId: text("tool_call_id").primaryKey(),
  turnId: text("turn_id").notNull(),
  name: text("name").notNull(),
  requestedAt: integer("requested_at").notNull(),
  /** When the wait ends with a rejection by timeout (ms since the epoch). */
  expiresAt: integer("expires_at").notNull(),
  /** `allow`, `allow_always`, `reject`, `reject_always`, or null while it waits. */
  decision: text("decision", { enum: ["allow", "allow_always", "reject", "reject_always"] }),
  /** A user or API key id, `timeout`, or `turn_ended` (cancelled or failed while it waited). */
  decidedBy: text("decided_by"),
  reason: text("reason"),
  decidedAt: integer("decided_at"),
});

/** `allow_always` / `reject_always` decisions: every later call of the tool in this session is decided without asking. */
export const toolApprovalRules = sqliteTable("tool_approval_rules", {
  name: text("name").primaryKey(),
  decision: text("decision", { enum: ["allow", "reject"] }).notNull(),
  decidedBy: text("decided_by").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** MCP servers' tool lists as a turn last fetched them (src/session/mcp-tool-cache.ts). */
export const mcpToolLists = sqliteTable("mcp_tool_lists", {
  serverId: text("server_id").primaryKey(),
  /** The server's `updated_at` when listed: a changed server (URL, headers, name) is listed again. */
  serverVersion: text("server_version").notNull(),
  /** The turn that fetched it: that turn reuses it however long it waits. */
  turnId: text("turn_id").notNull(),
  fetchedAt: integer("fetched_at").notNull(),
  tools: text("tools", { mode: "json" })
    .$type<Array<{ name: string; description: string; parameters: Record<string, unknown> }>>()
    .notNull(),
});

/** Idempotency keys of posted messages: the same key and body within 24 h answers with the same message. */
export const idempotentMessages = sqliteTable(
  "idempotent_messages",
  {
    caller: text("caller").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    messageId: text("message_id").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.caller, t.key] }), index("idempotent_messages_created_idx").on(t.createdAt)],
);
