import { describe, expect, it } from "vitest";
import { EventLog } from "../../src/session/event-log";
import { NO_CONTEXT } from "../../src/session/events";
import { IdempotentMessages } from "../../src/session/idempotent-messages";
import { storeMessages } from "../../src/session/message-store";
import { withSessionStorage } from "../support/session-storage";

const key = { key: "k-1", caller: "key_1:org_1", requestHash: "hash-a" };

describe("Idempotency-Keys of posted messages (IdempotentMessages)", () => {
  it("finds the message stored with a key; the same key with another request is reused; another caller's key is new", async () => {
    await withSessionStorage(({ db, storage, record }) => {
      const keys = new IdempotentMessages(db);
      const log = new EventLog(db, storage, record.id, () => undefined);
      expect(keys.find(key, record.id)).toBeNull();
      const [message] = storeMessages(
        db,
        log,
        record.id,
        NO_CONTEXT,
        [{ role: "user", content: [{ type: "text", text: "hi" }], controls: null, metadata: null }],
        ([created]) => {
          keys.remember(key, (created?.data["message"] as { id: string } | undefined)?.id ?? "");
        },
      );
      expect(keys.find(key, record.id)).toEqual(message);
      expect(keys.find({ ...key, requestHash: "hash-b" }, record.id)).toBe("reused");
      expect(keys.find({ ...key, caller: "key_2:org_1" }, record.id)).toBeNull();
      expect(keys.find({ ...key, key: "k-2" }, record.id)).toBeNull();
    });
  });
});
