import type { events } from "./db/schema";

/**
 * The session's event vocabulary (spec §5), written once: the types, which of them end a turn,
 * the envelope and how a stored row becomes one. `message.delta` is ephemeral: streamed live,
 * never stored in the log.
 */
export const EVENT_TYPES = [
  "message.created",
  "message.delta",
  "tool.call",
  "tool.result",
  "turn.started",
  "turn.completed",
  "turn.failed",
  "turn.cancelled",
  "session.completed",
  "tool.approval_requested",
  "tool.approval_decided",
  "context.compacted",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/** Exactly one of these ends every turn. */
export const TERMINAL_TYPES: ReadonlySet<EventType> = new Set(["turn.completed", "turn.failed", "turn.cancelled"]);

export interface EventContext {
  turn_id: string | null;
  input_message_id: string | null;
}

export const NO_CONTEXT: EventContext = { turn_id: null, input_message_id: null };

/** The envelope every event has, on the wire and in the JSON list. */
export interface EventEnvelope {
  id: string;
  type: EventType;
  ts: string;
  session_id: string;
  /** Position in the session's log. A delta carries the sequence of the last stored event before it. */
  sequence: number;
  context: EventContext;
  data: Record<string, unknown>;
}

/**
 * An event before the log has given it an id, a time and a sequence. `data` may be a function of
 * the sequence, for payloads that contain it (a message carries its message.created sequence).
 */
export interface EventDraft {
  type: EventType;
  context: EventContext;
  data: Record<string, unknown> | ((sequence: number) => Record<string, unknown>);
}

export type EventRow = typeof events.$inferSelect;

/** The one mapping from a stored event row to its envelope. */
export function toEnvelope(row: EventRow, sessionId: string): EventEnvelope {
  return {
    id: row.id,
    type: row.type as EventType,
    ts: row.ts,
    session_id: sessionId,
    sequence: row.sequence,
    context: { turn_id: row.turnId ?? null, input_message_id: row.inputMessageId ?? null },
    data: row.data,
  };
}

/** Who a call to the session object is made for: the session, and the org the caller acts in. */
export interface SessionMeta {
  sessionId: string;
  orgId: string;
}

/**
 * A type filter: an event type, narrowed for some upstream names by the message's role or the
 * tool call's executor. `types` and `exclude` take our names and the upstream Everruns names
 * (what the official SDKs send); both resolve to matchers.
 */
export interface EventMatcher {
  type: EventType;
  role?: "user" | "agent";
  executor?: "client";
}

/** Upstream Everruns event names that stand for (part of) one of ours. */
const UPSTREAM_ALIASES: Readonly<Record<string, EventMatcher>> = {
  "input.message": { type: "message.created", role: "user" },
  "output.message.completed": { type: "message.created", role: "agent" },
  "output.message.delta": { type: "message.delta" },
  "tool.started": { type: "tool.call" },
  "tool.call_requested": { type: "tool.call", executor: "client" },
  "tool.completed": { type: "tool.result" },
  "session.idled": { type: "session.completed" },
};

/** Upstream names this API never emits: a filter may name them, and they match nothing. */
const UPSTREAM_NEVER_EMITTED: ReadonlySet<string> = new Set([
  "output.message.started",
  "output.message.replaced",
  "turn.sealed",
  "reason.started",
  "reason.completed",
  "reason.item",
  "reason.thinking.started",
  "reason.thinking.delta",
  "reason.thinking.completed",
  "act.started",
  "act.completed",
  "tool.progress",
  "tool.output.delta",
  "tool.failed",
  "tool.call_repaired",
  "transcript.repaired",
  "llm.generation",
  "capability.usage",
  "session.started",
  "session.activated",
  "context.compacting",
  "context.compacted",
  "file.written",
  "budget.warning",
  "budget.paused",
  "budget.exhausted",
  "budget.resumed",
  "reason.recovered",
  "tool.hosted_call",
  "session.title.updated",
  "session.model.changed",
  "schedule.triggered",
  "context.compaction.skipped",
  "context.compaction.failed",
]);
/** Upstream families named only by prefix (`task.*`, `voice.*`), never emitted here. */
const UPSTREAM_NEVER_EMITTED_FAMILIES = ["task.", "voice."];

/** The aliases, for docs and the OpenAPI document: upstream name → what it matches here. */
export const EVENT_ALIASES: Readonly<Record<string, string>> = Object.fromEntries([
  ...Object.entries(UPSTREAM_ALIASES).map(([name, m]) => [name, describeMatcher(m)]),
  ...[...UPSTREAM_NEVER_EMITTED].map((name) => [name, "nothing (never emitted here)"]),
]);

function describeMatcher(m: EventMatcher): string {
  if (m.role) return `${m.type} of a ${m.role} message`;
  if (m.executor) return `${m.type} of a client-side tool`;
  return m.type;
}

/** A filter name's matcher: ours, an upstream alias, null for an upstream name we never emit, undefined for a name nobody knows. */
export function matcherFor(name: string): EventMatcher | null | undefined {
  if (isEventType(name)) return { type: name };
  const alias = UPSTREAM_ALIASES[name];
  if (alias) return alias;
  if (UPSTREAM_NEVER_EMITTED.has(name) || UPSTREAM_NEVER_EMITTED_FAMILIES.some((p) => name.startsWith(p) && name.length > p.length))
    return null;
  return undefined;
}

/** The matchers of a list of filter names (names that match nothing are dropped; unknown names were refused by the route). */
function matchersFor(names: readonly string[]): EventMatcher[] {
  return names.map(matcherFor).filter((m): m is EventMatcher => m !== null && m !== undefined);
}

/** Whether an event is one the matcher stands for. */
function matches(m: EventMatcher, event: { type: string; data: Record<string, unknown> }): boolean {
  if (event.type !== m.type) return false;
  if (m.role) return (event.data["message"] as { role?: unknown } | undefined)?.role === m.role;
  if (m.executor) return event.data["executor"] === m.executor;
  return true;
}

/** A subscriber's or a page's filters: `types` (null: all) then `exclude`. */
export interface EventFilter {
  types: EventMatcher[] | null;
  exclude: EventMatcher[];
}

/** Builds a filter from the names a client sent; `types` naming only things never emitted keeps nothing. */
export function eventFilter(types: readonly string[] | undefined, exclude: readonly string[] | undefined): EventFilter {
  return { types: types && types.length > 0 ? matchersFor(types) : null, exclude: matchersFor(exclude ?? []) };
}

export function wants(filter: EventFilter, event: { type: string; data: Record<string, unknown> }): boolean {
  if (filter.types && !filter.types.some((m) => matches(m, event))) return false;
  return !filter.exclude.some((m) => matches(m, event));
}
