import { and, asc, eq, inArray, like, or, sql } from "drizzle-orm";
import { mcpServerIdOf, sessionConfigOver } from "../capabilities/refs";
import type { CapabilityRef } from "../capabilities/registry";
import { toolsFor } from "../capabilities/registry";
import { createDb, type Database } from "../db/client";
import { agentCapabilities, agents, mcpServers } from "../db/schema";
import type { Env } from "../env";
import { contextWindowOf } from "../lib/context-window";
import { newId } from "../lib/ids";
import { createDriver } from "../llm/create-driver";
import { driverOptionsFromEnv } from "../llm/driver-options";
import { chooseModel, modelCandidates } from "../llm/resolve-model";
import { estimateFixedTokens } from "../llm/token-estimate";
import type { ClientTool } from "../schemas/tools";
import type { ActiveTurn } from "./active-turns";
import type { ClientToolCalls } from "./client-tools";
import type { SessionDb } from "./db/client";
import type { EventLog } from "./event-log";
import type { EventContext } from "./events";
import type { InputQueue } from "./input-queue";
import { mcpToolsForTurn } from "./mcp-tools";
import { buildPrompt } from "./prompt";
import { runToolsOf } from "./run-tools";
import type { SessionRecords } from "./session-record";
import { turnSettings } from "./settings";
import type { ToolApprovals } from "./tool-approvals";
import type { EnabledTool } from "./tools";
import type { ApprovalGate, ClientToolRunner, TurnPlan } from "./turn-plan";

/** What a turn needs from the control plane, read in one D1 round trip. */
interface TurnConfigReads {
  orgId: string;
  agentId: string;
  /** `controls.model_id` of the input message, then the session's `model_id`. */
  messageModelId: string | null;
  sessionModelId: string | null;
  /** The MCP servers the session's own capabilities name (the agent's are found by a subquery). */
  sessionMcpServerIds: string[];
}

/** What the session itself adds to its agent for a turn (from its record). */
interface SessionAdditions {
  capabilities: CapabilityRef[];
  tools: ClientTool[];
  locale: string | null;
  parallelToolCalls: boolean | null;
}

/** Builds the client-side tool runner of a turn from the tools the agent and the session declare. */
type ClientToolRunnerFactory = (tools: ReadonlyMap<string, ClientTool>) => ClientToolRunner;

/**
 * Starts the one D1 read of a turn: the agent, its capabilities and every model it could resolve
 * to (named by the message, the session, the agent's default, or the org's default) with their
 * providers, in one batch. Started before the turn's local writes, so they overlap.
 */
function readTurnConfig(d1: Database, reads: TurnConfigReads) {
  const agentDefault = d1.select({ id: agents.defaultModelId }).from(agents).where(eq(agents.id, reads.agentId));
  const named = [reads.messageModelId, reads.sessionModelId].filter((id): id is string => id !== null);
  const agentMcpIds = d1
    .select({ id: sql<string>`substr(${agentCapabilities.ref}, 5)` })
    .from(agentCapabilities)
    .where(and(eq(agentCapabilities.agentId, reads.agentId), like(agentCapabilities.ref, "mcp:%")));
  return d1.batch([
    d1.select().from(agents).where(eq(agents.id, reads.agentId)),
    d1.select().from(agentCapabilities).where(eq(agentCapabilities.agentId, reads.agentId)).orderBy(asc(agentCapabilities.position)),
    modelCandidates(d1, reads.orgId, named, agentDefault),
    // The MCP servers of the org that the agent's or the session's refs name (none: an empty result).
    d1
      .select()
      .from(mcpServers)
      .where(
        and(
          eq(mcpServers.orgId, reads.orgId),
          or(
            inArray(mcpServers.id, agentMcpIds),
            inArray(mcpServers.id, reads.sessionMcpServerIds.length > 0 ? reads.sessionMcpServerIds : [""]),
          ),
        ),
      ),
  ]);
}

interface TurnSetupInput {
  env: Env;
  db: SessionDb;
  log: EventLog;
  sessionId: string;
  reads: TurnConfigReads;
  config: ReturnType<typeof readTurnConfig>;
  session: SessionAdditions;
  clientTools: ClientToolRunnerFactory;
  approvals: ApprovalGate;
  context: EventContext;
  signal: AbortSignal;
  /** The ids of messages still waiting in the queue (left out of the conversation). */
  queued: () => ReadonlySet<string>;
}

/** Builds the plan the runner follows from the control-plane reads and the session's own storage. */
async function prepareTurn(input: TurnSetupInput): Promise<TurnPlan> {
  const [agentRows, caps, candidates, servers] = await input.config;
  const agentRow = agentRows[0];
  if (!agentRow) throw new Error("agent vanished before its turn");
  const resolved = await chooseModel(candidates, input.env, input.reads.orgId, {
    messageModelId: input.reads.messageModelId,
    sessionModelId: input.reads.sessionModelId,
    agentModelId: agentRow.defaultModelId,
  });
  // The session's capabilities add to the agent's; a ref both name runs with the session's config,
  // keeping the agent's approval gate.
  const sessionRefs = new Set(input.session.capabilities.map((c) => c.ref));
  const agentConfigs = new Map(caps.map((c) => [c.ref, c.config]));
  const refs = [
    ...caps.filter((c) => !sessionRefs.has(c.ref)).map((c) => ({ ref: c.ref, config: c.config })),
    ...input.session.capabilities.map((c) => {
      const agentConfig = agentConfigs.get(c.ref);
      return agentConfig ? { ref: c.ref, config: sessionConfigOver(agentConfig, c.config) } : c;
    }),
  ];
  const enabled = toolsFor(refs);
  const settings = turnSettings(input.env);
  const mcpTools = await mcpToolsForTurn({
    env: input.env,
    db: input.db,
    sessionId: input.sessionId,
    turnId: input.context.turn_id ?? "",
    refs,
    servers,
    callTimeoutMs: settings.mcpToolTimeoutMs,
  });
  // A built-in tool keeps its name if an MCP tool's full name were ever the same.
  const tools = new Map<string, EnabledTool>([...mcpTools, ...enabled.tools].map((t) => [t.tool.name, t]));
  // Client-side tools: the agent's, then the session's (which replace the agent's of the same name).
  // A name an enabled capability also has is refused when declared, but an agent changed later
  // (PATCH tools or capabilities) can still meet a session's: the built-in tool is the one that
  // runs, so the model is offered only it (a provider refuses two tools of one name).
  const clientTools = new Map<string, ClientTool>(
    [...agentRow.tools, ...input.session.tools].filter((t) => !tools.has(t.name)).map((t) => [t.name, t]),
  );
  const locale = input.session.locale ? `Answer in the language of the locale ${input.session.locale} unless the user asks otherwise.` : "";
  const system = [agentRow.systemPrompt, ...enabled.systemPrompts, locale].filter((s) => s.length > 0).join("\n\n");
  const clientToolRunner = input.clientTools(clientTools);
  const definitions = [
    ...[...tools.values()].map(({ tool }) => ({ name: tool.name, description: tool.description, parameters: tool.parameters })),
    ...clientToolRunner.definitions,
  ];
  const fixedTokens = estimateFixedTokens(system, definitions);
  const contextWindow = contextWindowOf(resolved.provider.type, resolved.contextWindow, input.env);
  return {
    db: input.db,
    log: input.log,
    sessionId: input.sessionId,
    context: input.context,
    driver: createDriver(resolved.provider, driverOptionsFromEnv(input.env)),
    model: resolved.model,
    system,
    tools,
    clientTools: clientToolRunner,
    approvals: input.approvals,
    parallelTools: input.session.parallelToolCalls ?? agentRow.parallelToolCalls ?? true,
    maxIterations: settings.maxIterations,
    deltaBatchMs: settings.deltaBatchMs,
    signal: input.signal,
    fetcher: fetch,
    allowPrivateUrls: input.env.ALLOW_PRIVATE_FETCH_URLS === "true",
    conversation: () =>
      buildPrompt({ db: input.db, queued: input.queued(), inputMessageId: input.context.input_message_id, fixedTokens, contextWindow }),
    newMessageId: () => newId("message"),
  };
}

/** What assembling a turn reads: the session's storage, the control plane, its queue, record and client-side tool calls. */
export interface TurnSources {
  env: Env;
  db: SessionDb;
  d1: Database;
  log: EventLog;
  queue: Pick<InputQueue, "messageIds">;
  records: SessionRecords;
  clientTools: ClientToolCalls;
  approvals: ToolApprovals;
  sessionId: string;
  orgId: string;
  agentId: string;
}

/** A turn's control-plane read, in flight, and what it asked for. */
export interface TurnConfig {
  reads: TurnConfigReads;
  config: ReturnType<typeof readTurnConfig>;
}

/** Sends the turn's one D1 read (agent, capabilities, models) at once. */
export function startConfigRead(sources: TurnSources, active: ActiveTurn): TurnConfig {
  const record = sources.records.get();
  const reads: TurnConfigReads = {
    orgId: sources.orgId,
    agentId: sources.agentId,
    messageModelId: active.modelId,
    sessionModelId: record?.modelId ?? null,
    sessionMcpServerIds: (record?.capabilities ?? []).map((c) => mcpServerIdOf(c.ref)).filter((id): id is string => id !== null),
  };
  // Agents, models and MCP servers may be a little stale: the read goes to the nearest D1 replica.
  const config = readTurnConfig(createDb(sources.env.DB.withSession("first-unconstrained")), reads);
  config.catch(() => undefined); // observed by assembleTurn; this only keeps an early failure from being reported as unhandled
  return { reads, config };
}

/**
 * The turn's plan, once its control-plane read has answered: the session's additions from its
 * record, its client-side tools over the stored calls.
 */
export function assembleTurn(
  sources: TurnSources,
  { reads, config }: TurnConfig,
  active: ActiveTurn,
  signal: AbortSignal,
): Promise<TurnPlan> {
  const record = sources.records.get();
  return prepareTurn({
    env: sources.env,
    db: sources.db,
    log: sources.log,
    sessionId: sources.sessionId,
    reads,
    config,
    session: {
      capabilities: record?.capabilities ?? [],
      // An AG-UI run's tools hold for the turn its message starts.
      tools: [...(record?.tools ?? []), ...runToolsOf(sources.db, active.inputMessageId)],
      locale: record?.locale ?? null,
      parallelToolCalls: record?.parallelToolCalls ?? null,
    },
    clientTools: (tools) => clientToolRunner(sources.clientTools, active.turnId, tools),
    approvals: approvalGate(sources.approvals, active.turnId, turnSettings(sources.env).toolApprovalTimeoutMs),
    context: { turn_id: active.turnId, input_message_id: active.inputMessageId },
    signal,
    queued: () => sources.queue.messageIds(),
  });
}

/** A turn's view of its client-side tool calls: the tools it offers, over the session's stored calls. */
function clientToolRunner(calls: ClientToolCalls, turnId: string, tools: ReadonlyMap<string, ClientTool>): ClientToolRunner {
  return {
    definitions: [...tools.values()].map((t) => ({ name: t.name, description: t.description, parameters: t.parameters })),
    has: (name) => tools.has(name),
    pend: (list, byClient, gated) => calls.pend(turnId, list, byClient, gated),
    allowedToRun: () => calls.allowedToRun(),
    record: (outcomes) => calls.record(outcomes),
    allAnswered: () => calls.allAnswered(),
    outcomes: () => calls.outcomes(),
    clear: () => calls.clear(),
  };
}

/** A turn's view of the approval gate, over the session's stored approvals and rules. */
function approvalGate(approvals: ToolApprovals, turnId: string, timeoutMs: number): ApprovalGate {
  return {
    verdict: (name, gated) => approvals.verdict(name, gated),
    expiresAt: () => Date.now() + timeoutMs,
    request: (calls, expiresAt) => approvals.request(turnId, calls, expiresAt),
  };
}
