import { env } from "cloudflare:workers";
import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb, type Database } from "../src/db/client";
import { events } from "../src/db/schema";
import { EventLog } from "../src/session/event-log";
import { NO_CONTEXT, type EventDraft, type EventEnvelope } from "../src/session/event-types";
import { newTenant } from "./support/tenants";
import { createAgent, createSession } from "./support/resources";

type Failure = "throw" | "commit-then-throw";

/** A real D1 client whose next batch fails as asked: before writing, or after writing (the answer is lost). */
function flakyDb(): { db: Database; failNext: (mode: Failure) => void } {
  const real = createDb(env.DB);
  let next: Failure | null = null;
  const db = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === "batch") {
        return async (statements: Parameters<Database["batch"]>[0]) => {
          const mode = next;
          next = null;
          if (mode === "throw") throw new Error("D1 unavailable");
          const result = await target.batch(statements);
          if (mode === "commit-then-throw") throw new Error("D1 answer lost");
          return result;
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db, failNext: (mode) => (next = mode) };
}

const draft = (n: number): EventDraft => ({ type: "tool.call", context: NO_CONTEXT, data: { n } });

/** A log on a fresh session (the events table's foreign key needs the row), recording what it delivers. */
async function newLog() {
  const t = await newTenant();
  const session = await createSession(t, (await createAgent(t)).id);
  const { db, failNext } = flakyDb();
  const delivered: EventEnvelope[] = [];
  const log = new EventLog(db, session.id, (envelopes) => delivered.push(...envelopes));
  await log.load();
  const storedSequences = async () =>
    (await createDb(env.DB).select({ sequence: events.sequence }).from(events).where(eq(events.sessionId, session.id)).orderBy(asc(events.sequence))).map((r) => r.sequence);
  return { log, failNext, delivered, storedSequences };
}

describe("event log under D1 failures", () => {
  it("treats a batch that committed but reported an error as written, and keeps sequencing", async () => {
    const { log, failNext, delivered, storedSequences } = await newLog();
    failNext("commit-then-throw");
    const [first] = await log.append([draft(1)]);
    const [second] = await log.append([draft(2)]);
    expect(first?.sequence).toBe(1);
    expect(second?.sequence).toBe(2);
    expect(delivered.map((e) => e.sequence)).toEqual([1, 2]);
    expect(await storedSequences()).toEqual([1, 2]);
    expect(log.head).toBe(2);
  });

  it("rejects a batch that failed, leaves no gap, and writes the next one with the same sequence", async () => {
    const { log, failNext, delivered, storedSequences } = await newLog();
    failNext("throw");
    await expect(log.append([draft(1)])).rejects.toThrow();
    const [next] = await log.append([draft(2)]);
    expect(next?.sequence).toBe(1);
    expect(delivered.map((e) => e.data.n)).toEqual([2]);
    expect(await storedSequences()).toEqual([1]);
  });

  it("fails only the bad append of a shared batch; the others keep contiguous sequences", async () => {
    const { log, delivered, storedSequences } = await newLog();
    const first = log.append([draft(0)]); // being written while the next three queue into one batch
    const good = log.append([draft(1)]);
    const bad = log.append([draft(2)], () => {
      throw new Error("statement could not be built");
    });
    const alsoGood = log.append([draft(3)]);
    expect((await first)[0]?.sequence).toBe(1);
    expect((await good)[0]?.sequence).toBe(2);
    await expect(bad).rejects.toThrow("statement could not be built");
    expect((await alsoGood)[0]?.sequence).toBe(3);
    expect(delivered.map((e) => [e.sequence, e.data.n])).toEqual([[1, 0], [2, 1], [3, 3]]);
    expect(await storedSequences()).toEqual([1, 2, 3]);
  });

  it("keeps deltas behind the stored events emitted before them", async () => {
    const { log, delivered } = await newLog();
    const stored = log.append([draft(1)]);
    log.emitEphemeral({ type: "message.delta", context: NO_CONTEXT, data: { message_id: "m", delta: "a", accumulated: "a" } });
    await stored;
    await log.append([draft(2)]);
    expect(delivered.map((e) => e.type)).toEqual(["tool.call", "message.delta", "tool.call"]);
    expect(delivered[1]?.sequence).toBe(1);
  });
});
