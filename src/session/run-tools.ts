import { eq } from "drizzle-orm";
import { type ClientTool, ClientToolsSchema } from "../schemas/tools";
import type { SessionDb } from "./db/client";
import { messages } from "./db/schema";

/**
 * Client-side tools offered for one turn only: an AG-UI run's `tools`, kept in its input message's
 * metadata (`ag_ui.tools`) so the message says what the run offered. They add to the agent's and
 * the session's tools (replacing one of the same name) for the turn that message starts.
 */
export function runToolsOf(db: SessionDb, inputMessageId: string): ClientTool[] {
  const row = db.select({ metadata: messages.metadata }).from(messages).where(eq(messages.id, inputMessageId)).get();
  const declared = (row?.metadata?.["ag_ui"] as { tools?: unknown } | undefined)?.tools;
  if (declared === undefined) return [];
  const parsed = ClientToolsSchema.safeParse(declared);
  return parsed.success ? parsed.data : [];
}
