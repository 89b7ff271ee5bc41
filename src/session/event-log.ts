import { and, asc, desc, eq, getTableColumns, gt, inArray, lt, lte, max, not, or, type SQL, sql } from "drizzle-orm";
import { newId } from "../lib/ids";
import { describeError, logLine } from "../lib/log";
import { checkRow } from "../lib/payload-limit";
import { nowIso } from "../lib/time";
import type { SessionDb } from "./db/client";
import { events } from "./db/schema";
import { deltaIdKey, deltaIdSequence, newDeltaId } from "./delta-ids";
import { type EventDraft, type EventEnvelope, type EventFilter, type EventMatcher, TERMINAL_TYPES, toEnvelope } from "./events";
import type { ReplaySource } from "./fanout";

/** Rows written in the same transaction as a group of events (a message, the session's status). */
export type AlsoWrite = (envelopes: EventEnvelope[]) => void;

/** A page of the JSON event list. */
export interface EventPage {
  afterSequence: number;
  beforeSequence?: number | undefined;
  limit: number;
  /** Event data bytes a page holds at most (it always holds one event). */
  maxBytes: number;
  filter?: EventFilter;
  /** Only the events of this turn. */
  turnId?: string | undefined;
}

/** The leading rows whose data adds up to at most `maxBytes` (always the first). */
function withinBytes<T extends { bytes: number }>(rows: T[], maxBytes: number): T[] {
  let total = 0;
  const kept: T[] = [];
  for (const row of rows) {
    total += row.bytes;
    if (kept.length > 0 && total > maxBytes) break;
    kept.push(row);
  }
  return kept;
}

/** A matcher as SQL: the type (index-backed), narrowed by the message's role or the call's executor. */
function matcherSql(m: EventMatcher): SQL {
  const type = eq(events.type, m.type);
  if (m.role) return and(type, sql`json_extract(${events.data}, '$.message.role') = ${m.role}`) ?? type;
  if (m.executor) return and(type, sql`json_extract(${events.data}, '$.executor') = ${m.executor}`) ?? type;
  return type;
}

/**
 * The session's event log in the object's own SQLite storage. Appends are synchronous: sequences
 * are assigned and the rows (with whatever belongs to them) written in one transaction, and only
 * then are the events handed to the fan-out. A write that throws rolls back and leaves no gap.
 * The runtime holds the object's output until its writes are durable, so no client ever sees an
 * event that a restart could lose.
 */
export class EventLog implements ReplaySource {
  readonly #db: SessionDb;
  readonly #storage: DurableObjectStorage;
  readonly #sessionId: string;
  /** The session's delta-id key, read from storage once per instance. */
  #deltaKeyValue: string | null = null;
  readonly #deliver: (envelopes: EventEnvelope[]) => void;
  #head: number;

  constructor(db: SessionDb, storage: DurableObjectStorage, sessionId: string, deliver: (envelopes: EventEnvelope[]) => void) {
    this.#db = db;
    this.#storage = storage;
    this.#sessionId = sessionId;
    this.#deliver = deliver;
    this.#head =
      db
        .select({ head: max(events.sequence) })
        .from(events)
        .get()?.head ?? 0;
  }

  /** The sequence of the last stored event. */
  get head(): number {
    return this.#head;
  }

  /** Stores events (and the rows `alsoWrite` adds) atomically, then delivers them; returns their envelopes. */
  append(drafts: EventDraft[], alsoWrite?: AlsoWrite): EventEnvelope[] {
    const envelopes = this.#storage.transactionSync(() => {
      let sequence = this.#head;
      const out = drafts.map((d) => this.#envelope(d, ++sequence));
      for (const e of out) {
        checkRow(`The ${e.type} event's data`, e.data);
        this.#db
          .insert(events)
          .values({
            sequence: e.sequence,
            id: e.id,
            type: e.type,
            ts: e.ts,
            turnId: e.context.turn_id,
            inputMessageId: e.context.input_message_id,
            data: e.data,
          })
          .run();
      }
      alsoWrite?.(out);
      return out;
    });
    this.#head += envelopes.length;
    this.#safeDeliver(envelopes);
    return envelopes;
  }

  /**
   * Sends a `message.delta` live without storing it (and without any write: its id carries the
   * sequence of the stored event it follows, so a client may resume from any id it was handed).
   */
  emitDelta(draft: EventDraft): void {
    this.#safeDeliver([this.#envelope(draft, this.#head, this.deltaId())]);
  }

  /** A new delta id at the head (also for the reply-so-far snapshot a joining client gets). */
  deltaId(): string {
    return newDeltaId(this.#deltaKey(), this.#head);
  }

  /**
   * Events with `after < sequence <= upTo`, oldest first (a primary-key range scan): at most
   * `limit`, and no more than `maxBytes` of event data once the first is in (an event may be
   * close to the 1 MiB body limit, and a page must fit in one WebSocket message and in memory).
   */
  read(after: number, upTo: number, limit: number, maxBytes: number): EventEnvelope[] {
    const rows = this.#db
      .select({ ...getTableColumns(events), bytes: sql<number>`length(${events.data})` })
      .from(events)
      .where(and(gt(events.sequence, after), lte(events.sequence, upTo)))
      .orderBy(asc(events.sequence))
      .limit(limit)
      .all();
    return withinBytes(rows, maxBytes).map((row) => toEnvelope(row, this.#sessionId));
  }

  /**
   * A page of the JSON list: after `afterSequence`, or with `beforeSequence` the newest `limit`
   * before it, cut at `maxBytes` of event data like `read`. The type filter is part of the query.
   */
  page(page: EventPage): EventEnvelope[] {
    const filters: SQL[] = [gt(events.sequence, page.afterSequence)];
    if (page.beforeSequence !== undefined) filters.push(lt(events.sequence, page.beforeSequence));
    if (page.turnId !== undefined) filters.push(eq(events.turnId, page.turnId));
    const { types, exclude } = page.filter ?? { types: null, exclude: [] };
    if (types) filters.push(types.length > 0 ? (or(...types.map(matcherSql)) ?? sql`0`) : sql`0`);
    if (exclude.length > 0) filters.push(not(or(...exclude.map(matcherSql)) ?? sql`0`));
    const backward = page.beforeSequence !== undefined;
    const rows = this.#db
      .select({ ...getTableColumns(events), bytes: sql<number>`length(${events.data})` })
      .from(events)
      .where(and(...filters))
      .orderBy(backward ? desc(events.sequence) : asc(events.sequence))
      .limit(page.limit)
      .all();
    // Cut from the cursor's side: forward keeps the oldest, backward the newest.
    const kept = withinBytes(rows, page.maxBytes);
    if (backward) kept.reverse();
    return kept.map((row) => toEnvelope(row, this.#sessionId));
  }

  /**
   * The sequence a cursor resumes after (0: from the start), or null for a cursor this session
   * never handed out: an unknown id, or a sequence past the head.
   */
  resolve(cursor: { id: string } | { sequence: number } | null): number | null {
    if (cursor === null) return 0;
    if ("sequence" in cursor) return cursor.sequence <= this.#head ? cursor.sequence : null;
    return this.cursor(cursor.id);
  }

  /**
   * The sequence a cursor id resumes after: a stored event's own, or the one a delta followed; null
   * for an id this session never handed out.
   */
  cursor(id: string): number | null {
    const stored = this.#db.select({ sequence: events.sequence }).from(events).where(eq(events.id, id)).get();
    if (stored) return stored.sequence;
    const followed = deltaIdSequence(this.#deltaKey(), id);
    return followed !== null && followed <= this.#head ? followed : null;
  }

  /** A turn's finished tool calls (its `tool.result` events) and the id of its last message when that is the agent's (the final reply). */
  turnSummary(turnId: string): { toolResults: number; finalMessageId: string | null } {
    const results = this.#db
      .select({ n: sql<number>`count(*)` })
      .from(events)
      .where(and(eq(events.type, "tool.result"), eq(events.turnId, turnId)))
      .get();
    const last = this.#db
      .select({ data: events.data })
      .from(events)
      .where(and(eq(events.type, "message.created"), eq(events.turnId, turnId)))
      .orderBy(desc(events.sequence))
      .limit(1)
      .get();
    const message = last?.data["message"] as { id?: unknown; role?: unknown } | undefined;
    return {
      toolResults: results?.n ?? 0,
      finalMessageId: message?.role === "agent" && typeof message.id === "string" ? message.id : null,
    };
  }

  /** How a turn ended (its terminal event type), or null while it has not. */
  endOf(turnId: string): string | null {
    const row = this.#db
      .select({ type: events.type })
      .from(events)
      .where(and(inArray(events.type, [...TERMINAL_TYPES]), eq(events.turnId, turnId)))
      .get();
    return row?.type ?? null;
  }

  #deltaKey(): string {
    this.#deltaKeyValue ??= deltaIdKey(this.#storage);
    return this.#deltaKeyValue;
  }

  #envelope(draft: EventDraft, sequence: number, id = newId("event")): EventEnvelope {
    const data = typeof draft.data === "function" ? draft.data(sequence) : draft.data;
    return { id, type: draft.type, ts: nowIso(), session_id: this.#sessionId, sequence, context: draft.context, data };
  }

  #safeDeliver(envelopes: EventEnvelope[]): void {
    if (envelopes.length === 0) return;
    try {
      this.#deliver(envelopes);
    } catch (err) {
      logLine("error", { msg: "event delivery failed", session_id: this.#sessionId, error: describeError(err) });
    }
  }
}
