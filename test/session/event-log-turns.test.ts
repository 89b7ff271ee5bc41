import { describe, expect, it } from "vitest";
import { EventLog } from "../../src/session/event-log";
import type { EventDraft, EventType } from "../../src/session/events";
import { withSessionStorage } from "../support/session-storage";

const event = (type: EventType, turnId: string): EventDraft => ({
  type,
  context: { turn_id: turnId, input_message_id: "message_1" },
  data: { turn_id: turnId },
});

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
});
