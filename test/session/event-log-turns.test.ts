import { describe, expect, it } from "vitest";
import { EventLog } from "../../src/session/event-log";
import type { EventDraft, EventType } from "../../src/session/events";
import { withSessionStorage } from "../support/session-storage";

const event = (type: EventType, turnId: string): EventDraft => ({ type, context: { turn_id: turnId, input_message_id: "message_1" }, data: { turn_id: turnId } });

describe("the event log's answers about turns", () => {
  it("how a turn ended, or null while it runs", async () => {
    await withSessionStorage(({ db, storage, record }) => {
      const log = new EventLog(db, storage, record.id, () => undefined);
      log.append([event("turn.started", "turn_a"), event("turn.cancelled", "turn_a"), event("turn.started", "turn_b")]);
      expect(log.endOf("turn_a")).toBe("turn.cancelled");
      expect(log.endOf("turn_b")).toBeNull();
      expect(log.endOf("turn_unknown")).toBeNull();
    });
  });

  it("the turn that was running at a time and has ended since; none for a time before it started or after it ended", async () => {
    await withSessionStorage(({ db, storage, record }) => {
      const log = new EventLog(db, storage, record.id, () => undefined);
      const before = Date.now() - 1;
      log.append([event("turn.started", "turn_a")]);
      const during = Date.now();
      expect(log.turnEndedSince(during)).toBeNull(); // still running: not "ended since"
      log.append([event("turn.completed", "turn_a")]);
      expect(log.turnEndedSince(during)).toBe("turn_a");
      expect(log.turnEndedSince(before)).toBeNull(); // it started after that time
      expect(log.turnEndedSince(Date.now() + 1_000)).toBeNull();
    });
  });
});
