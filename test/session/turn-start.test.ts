import { describe, expect, it } from "vitest";
import { ActiveTurns, newActiveTurn } from "../../src/session/active-turns";
import { EventLog } from "../../src/session/event-log";
import type { EventEnvelope } from "../../src/session/events";
import { InputQueue } from "../../src/session/input-queue";
import { writeTurnStart } from "../../src/session/turn-start";
import { withSessionStorage } from "../support/session-storage";

describe("a turn's start (writeTurnStart)", () => {
  it("writes turn.started, the turn's row, the input leaving the queue and the session active, together", async () => {
    await withSessionStorage(({ db, storage, records, record }) => {
      const delivered: EventEnvelope[] = [];
      const log = new EventLog(db, storage, record.id, (envelopes) => delivered.push(...envelopes));
      const active = new ActiveTurns(db);
      const queue = new InputQueue(db);
      queue.push({ messageId: "message_1", modelId: null });
      queue.push({ messageId: "message_2", modelId: null });
      const turn = newActiveTurn({ messageId: "message_1", modelId: null }, Date.now());
      writeTurnStart({ active, log, queue, records, sessionId: record.id }, record, turn);
      expect(delivered.map((e) => [e.type, e.data])).toEqual([["turn.started", { turn_id: turn.turnId, input_message_id: "message_1" }]]);
      expect(active.current()?.turnId).toBe(turn.turnId);
      expect(queue.messageIds()).toEqual(new Set(["message_2"]));
      expect(records.get()?.status).toBe("active");
      expect(records.get()?.startedAt).not.toBeNull();
    });
  });

  it("leaves the input queued and nothing written when storage refuses part of it", async () => {
    await withSessionStorage(({ db, storage, records, record }) => {
      const delivered: EventEnvelope[] = [];
      const log = new EventLog(db, storage, record.id, (envelopes) => delivered.push(...envelopes));
      const queue = new InputQueue(db);
      queue.push({ messageId: "message_1", modelId: null });
      const refusing = {
        record: () => {
          throw new Error("storage refused");
        },
      };
      const turn = newActiveTurn({ messageId: "message_1", modelId: null }, Date.now());
      expect(() => writeTurnStart({ active: refusing, log, queue, records, sessionId: record.id }, record, turn)).toThrow(
        "storage refused",
      );
      expect(delivered).toEqual([]);
      expect(queue.peek()?.messageId).toBe("message_1");
      expect(records.get()?.status).toBe("started");
      expect(log.head).toBe(0);
    });
  });
});
