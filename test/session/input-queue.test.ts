import { describe, expect, it } from "vitest";
import { InputQueue } from "../../src/session/input-queue";
import { withSessionStorage } from "../support/session-storage";

describe("the input queue", () => {
  it("is first in, first out, and an input stays queued until it is removed", async () => {
    await withSessionStorage(({ db }) => {
      const queue = new InputQueue(db);
      expect(queue.peek()).toBeNull();
      expect(queue.size).toBe(0);
      queue.push({ messageId: "message_a", modelId: null });
      queue.push({ messageId: "message_b", modelId: "model_1" });
      queue.push({ messageId: "message_c", modelId: null });
      expect(queue.peek()).toEqual({ messageId: "message_a", modelId: null });
      expect(queue.peek()).toEqual({ messageId: "message_a", modelId: null });
      expect(queue.size).toBe(3);
      expect(queue.messageIds()).toEqual(new Set(["message_a", "message_b", "message_c"]));
      queue.remove("message_a");
      expect(queue.peek()).toEqual({ messageId: "message_b", modelId: "model_1" });
      queue.remove("message_c");
      expect(queue.messageIds()).toEqual(new Set(["message_b"]));
      queue.push({ messageId: "message_d", modelId: null });
      queue.remove("message_b");
      expect(queue.peek()?.messageId).toBe("message_d");
      expect(queue.size).toBe(1);
    });
  });
});
