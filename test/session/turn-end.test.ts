import { describe, expect, it } from "vitest";
import { ActiveTurns, newActiveTurn } from "../../src/session/active-turns";
import { EventLog } from "../../src/session/event-log";
import type { EventEnvelope } from "../../src/session/events";
import { writeTurnEnd } from "../../src/session/turn-end";
import { failureText } from "../../src/session/turn-outcome";
import { type SessionStorage, withSessionStorage } from "../support/session-storage";

const spent = { iterations: 2, usage: { inputTokens: 30, outputTokens: 7 } };

/** A recorded turn, with the stores its end is written to, and what the log delivered. */
function started({ db, storage, records, record }: SessionStorage) {
  const delivered: EventEnvelope[] = [];
  const log = new EventLog(db, storage, record.id, (envelopes) => delivered.push(...envelopes));
  const active = new ActiveTurns(db);
  const turn = newActiveTurn({ messageId: "message_1", modelId: null }, Date.now() - 50);
  active.record(turn);
  let cleared = 0;
  const stores = {
    active,
    log,
    records,
    sessionId: record.id,
    clientTools: {
      clear: () => {
        cleared += 1;
      },
    },
  };
  return { stores, turn, delivered, active, cleared: () => cleared };
}

describe("a turn's end (writeTurnEnd)", () => {
  it("with nothing queued: the terminal event, then session.completed with the session's totals; the session goes idle and forgets the turn", async () => {
    await withSessionStorage((s) => {
      const { stores, turn, delivered, active, cleared } = started(s);
      writeTurnEnd(stores, turn, { kind: "completed", ...spent }, false);
      expect(delivered.map((e) => e.type)).toEqual(["turn.completed", "session.completed"]);
      expect(delivered[0]?.context).toEqual({ turn_id: turn.turnId, input_message_id: "message_1" });
      expect(delivered[0]?.data).toMatchObject({ turn_id: turn.turnId, iterations: 2, usage: { input_tokens: 30, output_tokens: 7 } });
      expect(delivered[1]?.data).toEqual({ status: "idle", usage: { input_tokens: 30, output_tokens: 7 } });
      expect(s.records.get()).toMatchObject({ status: "idle", inputTokens: 30, outputTokens: 7 });
      expect(s.records.get()?.finishedAt).not.toBeNull();
      expect(active.current()).toBeNull();
      expect(cleared()).toBe(1);
    });
  });

  it("with inputs queued: only the terminal event, and the session stays active; usage adds up over turns", async () => {
    await withSessionStorage((s) => {
      const first = started(s);
      writeTurnEnd(
        first.stores,
        first.turn,
        { kind: "failed", ...spent, errorCode: "llm_timeout", error: failureText("llm_timeout") },
        true,
      );
      expect(first.delivered.map((e) => e.type)).toEqual(["turn.failed"]);
      expect(first.delivered[0]?.data).toMatchObject({ error_code: "llm_timeout", error: failureText("llm_timeout") });
      expect(s.records.get()).toMatchObject({ status: "active", inputTokens: 30, finishedAt: null });
      const second = started(s);
      writeTurnEnd(second.stores, second.turn, { kind: "cancelled", ...spent }, false);
      expect(second.delivered.map((e) => e.type)).toEqual(["turn.cancelled", "session.completed"]);
      expect(s.records.get()).toMatchObject({ status: "idle", inputTokens: 60, outputTokens: 14 });
    });
  });

  it("writes nothing when any part fails: the turn stays recorded and no event is delivered", async () => {
    await withSessionStorage((s) => {
      const { stores, turn, delivered, active } = started(s);
      const failing = {
        ...stores,
        clientTools: {
          clear: () => {
            throw new Error("storage refused");
          },
        },
      };
      expect(() => writeTurnEnd(failing, turn, { kind: "completed", ...spent }, false)).toThrow("storage refused");
      expect(delivered).toEqual([]);
      expect(active.current()?.turnId).toBe(turn.turnId);
      expect(s.records.get()?.status).toBe("started");
    });
  });
});
