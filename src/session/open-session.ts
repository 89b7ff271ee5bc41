import { createDb } from "../db/client";
import type { Env } from "../env";
import { ActiveTurns } from "./active-turns";
import { ClientToolCalls } from "./client-tools";
import type { SessionDb } from "./db/client";
import { EventLog } from "./event-log";
import type { EventEnvelope } from "./events";
import { IdempotentMessages } from "./idempotent-messages";
import { InputQueue } from "./input-queue";
import type { SessionRecord, SessionRecords } from "./session-record";
import { ToolApprovals } from "./tool-approvals";
import { TurnController } from "./turns";

/** The parts of an open session: its record as opened, its log, turns and message keys. */
export interface Opened {
  record: SessionRecord;
  log: EventLog;
  turns: TurnController;
  idempotent: IdempotentMessages;
}

/** What the object gives its session's collaborators. */
export interface OpenSessionInput {
  env: Env;
  storage: DurableObjectStorage;
  db: SessionDb;
  records: SessionRecords;
  record: SessionRecord;
  /** Where stored (and delta) events go once written: the fan-out. */
  deliver: (envelopes: EventEnvelope[]) => void;
  settled: () => void;
  rearm: () => void;
}

/**
 * Builds a session's collaborators over its storage: the log, the queue, the running-turn row, the
 * turns and their client-side tool calls.
 */
export function openSession(input: OpenSessionInput): Opened {
  const { env, db, records, record } = input;
  const log = new EventLog(db, input.storage, record.id, input.deliver);
  const queue = new InputQueue(db);
  const active = new ActiveTurns(db);
  const clientTools = new ClientToolCalls(db, records, record.id, active);
  const turns = new TurnController({
    env,
    db,
    d1: createDb(env.DB),
    log,
    queue,
    records,
    active,
    clientTools,
    approvals: new ToolApprovals(db, log, clientTools),
    sessionId: record.id,
    orgId: record.orgId,
    agentId: record.agentId,
    settled: input.settled,
    rearm: input.rearm,
  });
  return { record, log, turns, idempotent: new IdempotentMessages(db) };
}
