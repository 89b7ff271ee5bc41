import { type EventEnvelope, type EventListQuery, TERMINAL_TYPES } from "../session/rpc";
import type { TrackedCall, WaitingCall } from "./turn-tracker";

/** The most events one read of a turn's tool calls takes (a turn calls at most a few hundred tools). */
const TURN_EVENTS_LIMIT = 1000;
const TERMINAL = [...TERMINAL_TYPES];

/** Reads the session's stored events (the session client's `listEvents`). */
export type ListEvents = (query: EventListQuery) => Promise<EventEnvelope[]>;

/** The running turn (started, not ended; a turn parked for its client counts), or null. One read of the session object. */
export async function runningTurn(listEvents: ListEvents): Promise<{ turnId: string; startedSequence: number } | null> {
  const [last] = await listEvents({
    cursor: null,
    types: ["turn.started", ...TERMINAL],
    beforeSequence: Number.MAX_SAFE_INTEGER,
    limit: 1,
  });
  if (last?.type !== "turn.started" || !last.context.turn_id) return null;
  return { turnId: last.context.turn_id, startedSequence: last.sequence };
}

/** What a protocol needs to know of a turn's tool calls: one read of the session object; null for a turn the session never ran. */
export interface TurnFacts {
  /** Calls the client runs, and gated calls that asked for approval. */
  clientCalls: Set<string>;
  approvalCalls: Set<string>;
  /** Calls with a result, and approvals decided. */
  answered: Set<string>;
  decided: Set<string>;
  /** The sequence of the turn's last tool.call or approval request (0 without one): a continuation streams from after it. */
  lastCallSequence: number;
  /** Whether the turn has ended. */
  ended: boolean;
  /** The calls the turn still waits on (none once it ended). */
  open(): WaitingCall[];
}

export async function turnFacts(listEvents: ListEvents, turnId: string): Promise<TurnFacts | null> {
  const types = ["turn.started", "tool.call", "tool.result", "tool.approval_requested", "tool.approval_decided", ...TERMINAL];
  const events = await listEvents({ cursor: null, turnId, types, limit: TURN_EVENTS_LIMIT });
  if (events.length === 0) return null;
  const calls = new Map<string, TrackedCall>();
  const expiry = new Map<string, string | null>();
  const facts: TurnFacts = {
    clientCalls: new Set(),
    approvalCalls: new Set(),
    answered: new Set(),
    decided: new Set(),
    lastCallSequence: 0,
    ended: false,
    open() {
      if (this.ended) return [];
      const call = (id: string) => calls.get(id) ?? { id, name: "", arguments: {} };
      return [
        ...[...this.clientCalls].filter((id) => !this.answered.has(id)).map((id): WaitingCall => ({ ...call(id), kind: "client" })),
        ...[...this.approvalCalls]
          .filter((id) => !this.decided.has(id) && !this.answered.has(id))
          .map((id): WaitingCall => ({ ...call(id), kind: "approval", expiresAt: expiry.get(id) ?? null })),
      ];
    },
  };
  for (const event of events) {
    if (event.type === "tool.call") {
      const call = event.data["tool_call"] as TrackedCall;
      calls.set(call.id, call);
      if (event.data["executor"] === "client") facts.clientCalls.add(call.id);
      facts.lastCallSequence = event.sequence;
    } else if (event.type === "tool.approval_requested") {
      const call = event.data["tool_call"] as TrackedCall;
      facts.approvalCalls.add(call.id);
      expiry.set(call.id, typeof event.data["expires_at"] === "string" ? event.data["expires_at"] : null);
      facts.lastCallSequence = event.sequence;
    } else if (event.type === "tool.approval_decided") {
      facts.decided.add(String(event.data["tool_call_id"]));
    } else if (event.type === "tool.result") {
      facts.answered.add(String(event.data["tool_call_id"]));
    } else if (TERMINAL_TYPES.has(event.type)) {
      facts.ended = true;
    }
  }
  return facts;
}
