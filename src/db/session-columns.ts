import { integer, text } from "drizzle-orm/sqlite-core";
import type { ClientTool } from "../schemas/tools";

/**
 * The columns of a session's record, after its id, org and agent: the session object's own
 * `session` row and the D1 `sessions` index row both have them (the index is a copy for
 * listing), so they are declared once. A function, because a column builder belongs to one table.
 */
export function sessionRecordColumns() {
  return {
    title: text("title"),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull(),
    modelId: text("model_id"),
    locale: text("locale"),
    /** Capabilities the session adds to its agent's. */
    capabilities: text("capabilities", { mode: "json" }).$type<{ ref: string; config: Record<string, unknown> }[]>().notNull().default([]),
    /** Client-side tools the session adds to its agent's. */
    tools: text("tools", { mode: "json" }).$type<ClientTool[]>().notNull().default([]),
    /** Whether a reply's built-in tool calls run in parallel (null: as the agent says). */
    parallelToolCalls: integer("parallel_tool_calls", { mode: "boolean" }),
    status: text("status", { enum: ["started", "active", "idle", "waitingfortoolresults"] }).notNull(),
    inputTokens: integer("input_tokens").notNull().default(0),
    outputTokens: integer("output_tokens").notNull().default(0),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    startedAt: text("started_at"),
    finishedAt: text("finished_at"),
  };
}
