import { asc, eq } from "drizzle-orm";
import { toolsFor } from "../capabilities/registry";
import type { Database } from "../db/client";
import { agentCapabilities, agents, sessions } from "../db/schema";
import type { Env } from "../env";
import { newId } from "../lib/ids";
import { createDriver } from "../llm/create-driver";
import { driverOptionsFromEnv } from "../llm/driver-options";
import { resolveModel } from "../llm/resolve-model";
import { listMessages } from "../services/messages";
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
  const session = await db.select().from(sessions).where(eq(sessions.id, meta.sessionId)).get();
  if (!session) throw new Error("session vanished before its turn");
  const [agent, caps] = await db.batch([
    db.select().from(agents).where(eq(agents.id, session.agentId)),
    db.select().from(agentCapabilities).where(eq(agentCapabilities.agentId, session.agentId)).orderBy(asc(agentCapabilities.position)),
  ]);
  const agentRow = agent[0];
  if (!agentRow) throw new Error("agent vanished before its turn");
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
    conversation: async () => toConversation(await listMessages(db, meta.sessionId), input.queued()),
    newMessageId: () => newId("message"),
  };
}
