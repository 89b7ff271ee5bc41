import { asc, eq } from "drizzle-orm";
import { toolsFor } from "../capabilities/registry";
import type { Database } from "../db/client";
import { agentCapabilities, agents } from "../db/schema";
import type { Env } from "../env";
import { newId } from "../lib/ids";
import { createDriver } from "../llm/create-driver";
import { driverOptionsFromEnv } from "../llm/driver-options";
import { chooseModel, modelCandidates } from "../llm/resolve-model";
import type { SessionDb } from "./db/client";
import { toConversation } from "./conversation";
import type { EventLog } from "./event-log";
import type { EventContext } from "./events";
import { allMessages } from "./message-store";
import { turnSettings } from "./settings";
import type { EnabledTool } from "./tools";
import type { TurnPlan } from "./turn-runner";

/** What a turn needs from the control plane, read in one D1 round trip. */
export interface TurnConfigReads {
  orgId: string;
  agentId: string;
  /** `controls.model_id` of the input message, then the session's `model_id`. */
  messageModelId: string | null;
  sessionModelId: string | null;
}

/**
 * Starts the one D1 read of a turn: the agent, its capabilities and every model it could resolve
 * to (named by the message, the session, the agent's default, or the org's default) with their
 * providers, in one batch. Started before the turn's local writes, so they overlap.
 */
export function readTurnConfig(d1: Database, reads: TurnConfigReads) {
  const agentDefault = d1.select({ id: agents.defaultModelId }).from(agents).where(eq(agents.id, reads.agentId));
  const named = [reads.messageModelId, reads.sessionModelId].filter((id): id is string => id !== null);
  return d1.batch([
    d1.select().from(agents).where(eq(agents.id, reads.agentId)),
    d1.select().from(agentCapabilities).where(eq(agentCapabilities.agentId, reads.agentId)).orderBy(asc(agentCapabilities.position)),
    modelCandidates(d1, reads.orgId, named, agentDefault),
  ]);
}

export interface TurnSetupInput {
  env: Env;
  db: SessionDb;
  log: EventLog;
  sessionId: string;
  reads: TurnConfigReads;
  config: ReturnType<typeof readTurnConfig>;
  context: EventContext;
  signal: AbortSignal;
  /** The ids of messages still waiting in the queue (left out of the conversation). */
  queued: () => ReadonlySet<string>;
}

/** Builds the plan the runner follows from the control-plane reads and the session's own storage. */
export async function prepareTurn(input: TurnSetupInput): Promise<TurnPlan> {
  const [agentRows, caps, candidates] = await input.config;
  const agentRow = agentRows[0];
  if (!agentRow) throw new Error("agent vanished before its turn");
  const resolved = await chooseModel(candidates, input.env, input.reads.orgId, {
    messageModelId: input.reads.messageModelId,
    sessionModelId: input.reads.sessionModelId,
    agentModelId: agentRow.defaultModelId,
  });
  const enabled = toolsFor(caps.map((c) => ({ ref: c.ref, config: c.config })));
  const tools = new Map<string, EnabledTool>(enabled.tools.map((t) => [t.tool.name, t]));
  const settings = turnSettings(input.env);
  const system = [agentRow.systemPrompt, ...enabled.systemPrompts].filter((s) => s.length > 0).join("\n\n");
  return {
    db: input.db,
    log: input.log,
    sessionId: input.sessionId,
    context: input.context,
    driver: createDriver(resolved.provider, driverOptionsFromEnv(input.env)),
    model: resolved.model,
    system,
    tools,
    maxIterations: settings.maxIterations,
    deltaBatchMs: settings.deltaBatchMs,
    signal: input.signal,
    fetcher: fetch,
    conversation: () => toConversation(allMessages(input.db), input.queued()),
    newMessageId: () => newId("message"),
  };
}
