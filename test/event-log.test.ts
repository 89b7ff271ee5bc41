import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sessionStub } from "../src/services/session-client";
import { openSessionDb } from "../src/session/db/client";
import { events } from "../src/session/db/schema";
import { EventLog } from "../src/session/event-log";
import { type EventDraft, type EventEnvelope, eventFilter, NO_CONTEXT } from "../src/session/events";
import { createAgent, createSession } from "./support/resources";
import { newTenant } from "./support/tenants";

/** A byte budget no test page reaches. */
const ANY_SIZE = 1 << 30;
const draft = (n: number): EventDraft => ({ type: "tool.call", context: NO_CONTEXT, data: { n } });
const delta = (text: string): EventDraft => ({
  type: "message.delta",
  context: NO_CONTEXT,
  data: { message_id: "m", delta: text, accumulated: text },
});

/**
 * Runs `check` with an event log over a fresh session object's own storage (the session's log is
 * empty: no message was sent), recording what the log delivers.
 */
async function withLog(check: (log: EventLog, delivered: EventEnvelope[], storedSequences: () => number[]) => void): Promise<void> {
  const t = await newTenant();
  const session = await createSession(t, (await createAgent(t)).id);
  await runInDurableObject(sessionStub(env, session.id), (_instance, state) => {
    const db = openSessionDb(state.storage);
    const delivered: EventEnvelope[] = [];
    const log = new EventLog(db, state.storage, session.id, (envelopes) => delivered.push(...envelopes));
    check(log, delivered, () =>
      db
        .select({ sequence: events.sequence })
        .from(events)
        .all()
        .map((r) => r.sequence),
    );
  });
}

describe("event log in the session object's storage", () => {
  it("assigns 1, 2, 3, … and delivers each group only after it is stored", async () => {
    await withLog((log, delivered, storedSequences) => {
      const [first] = log.append([draft(1)]);
      const second = log.append([draft(2), draft(3)]);
      expect(first?.sequence).toBe(1);
      expect(second.map((e) => e.sequence)).toEqual([2, 3]);
      expect(delivered.map((e) => e.sequence)).toEqual([1, 2, 3]);
      expect(storedSequences()).toEqual([1, 2, 3]);
      expect(log.head).toBe(3);
      expect(log.read(1, 3, 10, ANY_SIZE).map((e) => e.data.n)).toEqual([2, 3]);
    });
  });

  it("cuts replay and list pages at their byte budget, keeping at least one event, from the cursor's side", async () => {
    await withLog((log) => {
      const big = (n: number): EventDraft => ({ type: "tool.call", context: NO_CONTEXT, data: { n, blob: "x".repeat(1000) } });
      log.append([big(1), big(2), big(3), big(4)]);
      expect(log.read(0, 4, 10, 2500).map((e) => e.data.n)).toEqual([1, 2]);
      expect(log.read(0, 4, 10, 10).map((e) => e.data.n)).toEqual([1]); // one event, however large
      expect(log.page({ afterSequence: 1, limit: 10, maxBytes: 2500 }).map((e) => e.sequence)).toEqual([2, 3]);
      expect(log.page({ afterSequence: 0, beforeSequence: 5, limit: 10, maxBytes: 2500 }).map((e) => e.sequence)).toEqual([3, 4]);
    });
  });

  it("rolls back an append whose rows could not be written: no gap, nothing delivered, the next gets the same sequence", async () => {
    await withLog((log, delivered, storedSequences) => {
      log.append([draft(1)]);
      expect(() =>
        log.append([draft(2)], () => {
          throw new Error("a row that goes with the event could not be written");
        }),
      ).toThrow("could not be written");
      const [next] = log.append([draft(3)]);
      expect(next?.sequence).toBe(2);
      expect(delivered.map((e) => [e.sequence, e.data.n])).toEqual([
        [1, 1],
        [2, 3],
      ]);
      expect(storedSequences()).toEqual([1, 2]);
    });
  });

  it("sends deltas in order between stored events, at the sequence of the stored event they follow, each id a cursor after it", async () => {
    await withLog((log, delivered) => {
      log.append([draft(1)]);
      log.emitDelta(delta("a"));
      log.append([draft(2)]);
      log.emitDelta(delta("b"));
      expect(delivered.map((e) => [e.type, e.sequence])).toEqual([
        ["tool.call", 1],
        ["message.delta", 1],
        ["tool.call", 2],
        ["message.delta", 2],
      ]);
      const [stored1, delta1, stored2, delta2] = delivered;
      expect(log.cursor(stored1?.id ?? "")).toBe(1);
      expect(log.cursor(delta1?.id ?? "")).toBe(1);
      expect(log.cursor(stored2?.id ?? "")).toBe(2);
      expect(log.cursor(delta2?.id ?? "")).toBe(2);
      expect(log.cursor("event_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f")).toBeNull();
      expect(log.page({ afterSequence: 0, limit: 10, maxBytes: ANY_SIZE }).map((e) => e.type)).toEqual(["tool.call", "tool.call"]);
    });
  });

  it("pages forwards and backwards, filtering by type in the query", async () => {
    await withLog((log) => {
      log.append([draft(1), { type: "turn.started", context: NO_CONTEXT, data: {} }, draft(2), draft(3)]);
      expect(
        log.page({ afterSequence: 0, limit: 2, maxBytes: ANY_SIZE, filter: eventFilter(["tool.call"], []) }).map((e) => e.sequence),
      ).toEqual([1, 3]);
      expect(
        log.page({ afterSequence: 0, limit: 10, maxBytes: ANY_SIZE, filter: eventFilter([], ["tool.call"]) }).map((e) => e.sequence),
      ).toEqual([2]);
      expect(log.page({ afterSequence: 0, beforeSequence: 4, limit: 2, maxBytes: ANY_SIZE }).map((e) => e.sequence)).toEqual([2, 3]);
    });
  });
});
