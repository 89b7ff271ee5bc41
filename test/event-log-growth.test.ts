import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { sessionStub } from "../src/services/session-client";
import { openSessionDb } from "../src/session/db/client";
import { EventLog } from "../src/session/event-log";
import { type EventDraft, eventFilter, NO_CONTEXT } from "../src/session/events";
import { messagePage } from "../src/session/message-store";
import { isEnd, listEvents } from "./support/events";
import { sendMessage } from "./support/resources";
import { sessionSetup } from "./support/sessions";
import { openStream, SseReader } from "./support/sse-reader";

const STORED = 10_000;
const draft = (n: number): EventDraft => ({ type: n % 10 === 0 ? "turn.started" : "tool.call", context: NO_CONTEXT, data: { n } });

/** A session whose log holds 10,000 stored events (written straight into its object's storage), restarted so it reads its new head. */
async function bigSession() {
  const { t, session } = await sessionSetup();
  const stub = sessionStub(env, session.id);
  await runInDurableObject(stub, (_instance, state) => {
    const log = new EventLog(openSessionDb(state.storage), state.storage, session.id, () => undefined);
    for (let n = 1; n <= STORED; n += 500) log.append(Array.from({ length: 500 }, (_, i) => draft(n + i)));
  });
  await evictDurableObject(stub);
  return { t, session, stub };
}

describe("a session with 10,000 stored events", () => {
  it("resumes from any point and pages the JSON list through index-backed queries", async () => {
    const { t, session, stub } = await bigSession();
    const all = await listEvents(t, session.id, "?limit=1000");
    expect(all.map((e) => e.sequence)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    const late = await listEvents(t, session.id, `?since_id=${all[999]?.id}&limit=1000`);
    expect(late[0]?.sequence).toBe(1001);
    const last = await listEvents(t, session.id, `?before_sequence=${STORED + 1}&limit=5`);
    expect(last.map((e) => e.sequence)).toEqual([9996, 9997, 9998, 9999, 10000]);
    const filtered = await listEvents(t, session.id, "?types=turn.started&limit=1000");
    expect(filtered).toHaveLength(1000);

    // A stream resumed near the end gets exactly what follows, then live events.
    const reader = new SseReader(await openStream(t, session.id, "", { "last-event-id": last[0]?.id ?? "" }));
    await sendMessage(t, session.id, "after ten thousand");
    const resumed = await reader.collectUntil(isEnd);
    await reader.cancel();
    expect(resumed.filter((e) => e.type !== "message.delta")[0]?.sequence).toBe(9997);

    // The plans of the queries the log and the messages page run: every one is a search on the
    // primary key or an index, never a scan of the log.
    const plans = await runInDurableObject(stub, (_instance, state) => {
      const statements: { sql: string; params: unknown[] }[] = [];
      const exec = state.storage.sql.exec.bind(state.storage.sql);
      const spy = vi.spyOn(state.storage.sql, "exec").mockImplementation((query: string, ...params: unknown[]) => {
        statements.push({ sql: query, params });
        return exec(query, ...params);
      });
      const db = openSessionDb(state.storage);
      const log = new EventLog(db, state.storage, session.id, () => undefined);
      const first = log.read(0, 1, 1, 1 << 30)[0];
      statements.length = 0;
      log.read(5000, STORED, 500, 1 << 30);
      log.page({ afterSequence: 5000, limit: 1000, maxBytes: 1 << 30 });
      log.page({ afterSequence: 0, beforeSequence: 9000, limit: 1000, maxBytes: 1 << 30 });
      log.page({ afterSequence: 5000, limit: 1000, maxBytes: 1 << 30, filter: eventFilter(["turn.started"], []) });
      log.cursor(first?.id ?? "");
      messagePage(db, session.id, { offset: 0, limit: 20 });
      spy.mockRestore();
      return statements.map((s) => ({
        sql: s.sql,
        plan: exec(`EXPLAIN QUERY PLAN ${s.sql}`, ...s.params)
          .toArray()
          .map((r) => String(r.detail)),
      }));
    });
    for (const { sql, plan } of plans) {
      const shown = `${sql}\n  → ${plan.join("; ")}`;
      expect(plan.join(" "), shown).not.toMatch(/SCAN events(?! USING)/);
      expect(plan.join(" "), shown).toMatch(/USING (INTEGER PRIMARY KEY|INDEX|COVERING INDEX)|SCAN messages USING INDEX/);
    }
  }, 60_000);
});
