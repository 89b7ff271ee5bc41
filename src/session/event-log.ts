import { and, asc, eq, gt, lte, max } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../db/client";
import { events } from "../db/schema";
import { newId } from "../lib/ids";
import { describeError, logLine } from "../lib/log";
import { nowIso } from "../lib/time";
import type { EventDraft, EventEnvelope } from "./event-types";

/** Extra rows written atomically with a group of events (a message row, a session update). */
export type StatementBuilder = (envelopes: EventEnvelope[]) => BatchItem<"sqlite">[];

interface Pending {
  drafts: EventDraft[];
  durable: boolean;
  statements: StatementBuilder | undefined;
  resolve: (envelopes: EventEnvelope[]) => void;
  reject: (err: unknown) => void;
}

/** At most this many queued appends share one D1 batch. */
const MAX_APPENDS_PER_BATCH = 32;

/**
 * The session's event log. Sequences are assigned only when a batch is written, from the last
 * persisted sequence, so a failed write leaves no gap; events are delivered to subscribers only
 * after they are committed, in sequence order. Appends that arrive while a batch is being
 * written are queued and written together in the next one. Ephemeral events (deltas) go through
 * the same queue so that they never overtake a stored event emitted before them.
 */
export class EventLog {
  readonly #db: Database;
  readonly #sessionId: string;
  readonly #deliver: (envelopes: EventEnvelope[]) => void;
  #head = 0;
  #queue: Pending[] = [];
  #pumping = false;
  /** A write failed: the head may be behind D1 (a write that landed unconfirmed); re-read it before the next. */
  #stale = false;

  constructor(db: Database, sessionId: string, deliver: (envelopes: EventEnvelope[]) => void) {
    this.#db = db;
    this.#sessionId = sessionId;
    this.#deliver = deliver;
  }

  /** Reads the last persisted sequence; call once before the first append. */
  async load(): Promise<void> {
    this.#head = await this.#storedHead();
  }

  async #storedHead(): Promise<number> {
    const row = await this.#db.select({ head: max(events.sequence) }).from(events).where(eq(events.sessionId, this.#sessionId)).get();
    return row?.head ?? 0;
  }

  /** The sequence of the last committed event. Every event up to it is readable in D1. */
  get head(): number {
    return this.#head;
  }

  /** Appends stored events (and the rows that go with them) in one atomic batch; resolves once committed. */
  append(drafts: EventDraft[], statements?: StatementBuilder): Promise<EventEnvelope[]> {
    return this.#enqueue(drafts, true, statements);
  }

  /** Sends an event live without storing it (message.delta). */
  emitEphemeral(draft: EventDraft): void {
    if (this.#queue.length === 0 && !this.#pumping) {
      this.#safeDeliver([this.#envelope(draft, this.#head)]);
      return;
    }
    void this.#enqueue([draft], false, undefined).catch(() => undefined);
  }

  /** Events with `after < sequence <= upTo`, oldest first, in pages. */
  async read(after: number, upTo: number, limit: number): Promise<EventEnvelope[]> {
    const rows = await this.#db
      .select()
      .from(events)
      .where(and(eq(events.sessionId, this.#sessionId), gt(events.sequence, after), lte(events.sequence, upTo)))
      .orderBy(asc(events.sequence))
      .limit(limit);
    return rows.map((r) => ({
      id: r.id,
      type: r.type as EventEnvelope["type"],
      ts: r.ts,
      session_id: r.sessionId,
      sequence: r.sequence,
      context: { turn_id: r.context.turn_id ?? null, input_message_id: r.context.input_message_id ?? null },
      data: r.data,
    }));
  }

  #enqueue(drafts: EventDraft[], durable: boolean, statements: StatementBuilder | undefined): Promise<EventEnvelope[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ drafts, durable, statements, resolve, reject });
      if (!this.#pumping) void this.#pump();
    });
  }

  #envelope(draft: EventDraft, sequence: number): EventEnvelope {
    const data = typeof draft.data === "function" ? draft.data(sequence) : draft.data;
    return { id: newId("event"), type: draft.type, ts: nowIso(), session_id: this.#sessionId, sequence, context: draft.context, data };
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue.splice(0, MAX_APPENDS_PER_BATCH);
        const ok = await this.#write(group);
        // One bad append must not fail the others that happened to share its batch.
        if (!ok && group.length > 1) {
          for (const one of group) await this.#write([one]);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Writes one group atomically; on success advances the head and delivers, on failure rejects
   * its appends (a group of one) and returns false. Never throws, so every append settles.
   */
  async #write(group: Pending[]): Promise<boolean> {
    let sequence = this.#head;
    let assigned: EventEnvelope[][] = [];
    try {
      if (this.#stale) await this.#resync();
      sequence = this.#head;
      assigned = group.map((p) => p.drafts.map((d) => this.#envelope(d, p.durable ? ++sequence : sequence)));
      const statements = this.#statements(group, assigned);
      if (statements.length > 0) await this.#db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
    } catch (err) {
      if (!(await this.#landed(assigned, sequence))) {
        this.#stale = true;
        if (group.length === 1) group[0]?.reject(err);
        return false;
      }
    }
    this.#head = sequence;
    this.#safeDeliver(assigned.flat());
    group.forEach((p, i) => p.resolve(assigned[i] ?? []));
    return true;
  }

  #statements(group: Pending[], assigned: EventEnvelope[][]): BatchItem<"sqlite">[] {
    const statements: BatchItem<"sqlite">[] = [];
    group.forEach((p, i) => {
      const envelopes = assigned[i] ?? [];
      if (p.statements) statements.push(...p.statements(envelopes));
      if (!p.durable) return;
      for (const e of envelopes) {
        statements.push(
          this.#db.insert(events).values({ id: e.id, sessionId: e.session_id, sequence: e.sequence, type: e.type, ts: e.ts, context: { ...e.context }, data: e.data }),
        );
      }
    });
    return statements;
  }

  /**
   * Whether a batch that reported an error committed all the same (D1 can lose the answer to a
   * write it made). The batch is atomic, so its last event being there means all of it is.
   */
  async #landed(assigned: EventEnvelope[][], sequence: number): Promise<boolean> {
    const last = assigned.flat().find((e) => e.sequence === sequence && e.type !== "message.delta");
    if (!last || sequence === this.#head) return false;
    try {
      const row = await this.#db.select({ id: events.id }).from(events).where(and(eq(events.sessionId, this.#sessionId), eq(events.sequence, sequence))).get();
      return row?.id === last.id;
    } catch {
      return false;
    }
  }

  /**
   * After a failed write, re-reads the head before writing again, so a write D1 made but did not
   * confirm can never make every later batch collide on its sequences. Events found that way are
   * delivered, so open streams match D1.
   */
  async #resync(): Promise<void> {
    const head = await this.#storedHead();
    // Read what was missed before moving the head, so a failed read leaves the log stale and retries it.
    const missed = head > this.#head ? await this.read(this.#head, head, head - this.#head) : [];
    this.#head = head;
    this.#stale = false;
    this.#safeDeliver(missed);
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
