import { asc, eq, inArray } from "drizzle-orm";
import { toolsFor } from "../capabilities/registry";
import type { Database } from "../db/client";
import { agentCapabilities, agents, sessions } from "../db/schema";
import type { Env } from "../env";
import { newId } from "../lib/ids";
import { createDriver } from "../llm/create-driver";
import { driverOptionsFromEnv } from "../llm/driver-options";
import { resolveModel } from "../llm/resolve-model";
import { listMessages, type MessageRow } from "../services/messages";
import { toConversation } from "./conversation";
import type { EventLog } from "./event-log";
import type { EventContext } from "./event-types";
import type { SessionMeta } from "./session-object";
import { turnSettings } from "./settings";
import type { EnabledTool } from "./tools";
import type { TurnPlan } from "./turn-runner";

export interface TurnSetupInput {
  env: Env;
  db: Database;
  log: EventLog;
  meta: SessionMeta;
  context: EventContext;
  /** `controls.model_id` of the input message. */
  modelId: string | null;
  signal: AbortSignal;
  queued: () => ReadonlySet<string>;
}

/** Loads the agent, its capabilities and the model for a turn, and builds the plan the runner follows. */
export async function prepareTurn(input: TurnSetupInput): Promise<TurnPlan> {
  const { db, meta } = input;
  // One round trip for everything the turn reads before the model: the session, its agent (found
  // through the session), the agent's capabilities and the conversation so far.
  const agentOfSession = db.select({ id: sessions.agentId }).from(sessions).where(eq(sessions.id, meta.sessionId));
  const [sessionRows, agentRows, caps, history] = await db.batch([
    db.select().from(sessions).where(eq(sessions.id, meta.sessionId)),
    db.select().from(agents).where(inArray(agents.id, agentOfSession)),
    db.select().from(agentCapabilities).where(inArray(agentCapabilities.agentId, agentOfSession)).orderBy(asc(agentCapabilities.position)),
    listMessages(db, meta.sessionId),
  ]);
  const session = sessionRows[0];
  if (!session) throw new Error("session vanished before its turn");
  const agentRow = agentRows[0];
  if (!agentRow) throw new Error("agent vanished before its turn");
  // The first model call uses the history read above; later ones re-read (tool results were added).
  let preloaded: MessageRow[] | null = history;
  const resolved = await resolveModel(db, input.env, meta.orgId, {
    messageModelId: input.modelId,
    sessionModelId: session.modelId,
    agentModelId: agentRow.defaultModelId,
  });
  const enabled = toolsFor(caps.map((c) => ({ ref: c.ref, config: c.config })));
  const tools = new Map<string, EnabledTool>(enabled.tools.map((t) => [t.tool.name, t]));
  const settings = turnSettings(input.env);
  const system = [agentRow.systemPrompt, ...enabled.systemPrompts].filter((s) => s.length > 0).join("\n\n");
  return {
    db,
    log: input.log,
    sessionId: meta.sessionId,
    context: input.context,
    driver: createDriver(resolved.provider, driverOptionsFromEnv(input.env)),
    model: resolved.model,
    system,
    tools,
    maxIterations: settings.maxIterations,
    deltaBatchMs: settings.deltaBatchMs,
    signal: input.signal,
    fetcher: fetch,
    conversation: async () => {
      const rows = preloaded ?? (await listMessages(db, meta.sessionId));
      preloaded = null;
      return toConversation(rows, input.queued());
    },
    newMessageId: () => newId("message"),
  };
}
