import { describe, expect, it } from "vitest";
import { withSessionStorage } from "../support/session-storage";

describe("the session's own record (SessionRecords)", () => {
  it("starts as `started`, version 1, not yet indexed", async () => {
    await withSessionStorage(({ records, record }) => {
      expect(record).toMatchObject({ status: "started", version: 1, indexedVersion: 0, deletedAt: null });
      expect(records.get()).toEqual(record);
    });
  });

  it("bumps the version on every change, and the index mark never moves back", async () => {
    await withSessionStorage(({ records, record }) => {
      const changed = records.change(record.id, { title: "T", status: "active", updatedAt: "2026-01-01T00:00:00.000Z" });
      expect(changed).toMatchObject({ title: "T", status: "active", version: 2 });
      expect(records.change(record.id, { tags: ["a"] }).version).toBe(3);
      records.markIndexed(record.id, 3);
      records.markIndexed(record.id, 2);
      expect(records.get()?.indexedVersion).toBe(3);
    });
  });

  it("a tombstone marks the session deleted", async () => {
    await withSessionStorage(({ records, record }) => {
      records.tombstone(record.id, "2026-01-02T00:00:00.000Z");
      expect(records.get()?.deletedAt).toBe("2026-01-02T00:00:00.000Z");
    });
  });
});
