import { describe, expect, it } from "vitest";
import { ID_PREFIXES, isId, newId } from "../src/lib/ids";
import { deltaIdSequence, newDeltaId } from "../src/session/delta-ids";

describe("ids", () => {
  it("are {prefix}_{32 hex} UUIDv7s: version 7, RFC 9562 variant", () => {
    for (const prefix of ID_PREFIXES) {
      const id = newId(prefix);
      expect(id).toMatch(new RegExp(`^${prefix}_[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$`));
      expect(isId(prefix, id)).toBe(true);
    }
  });

  it("sort in creation order within one isolate, even within one millisecond", () => {
    const ids = Array.from({ length: 2000 }, () => newId("event"));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("carry the creation time in their first 48 bits", () => {
    const before = Date.now();
    const id = newId("agent");
    const ms = Number.parseInt(id.slice("agent_".length, "agent_".length + 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1);
  });

  it("reject another prefix or shape", () => {
    expect(isId("agent", newId("session"))).toBe(false);
    expect(isId("agent", "agent_XYZ")).toBe(false);
    expect(isId("agent", `agent_${"0".repeat(31)}`)).toBe(false);
  });
});

describe("delta ids", () => {
  const session = newId("session");

  it("are event ids (UUIDv7, RFC 9562 variant) that carry the sequence they follow, for their session only", () => {
    for (const sequence of [0, 1, 4096, 2 ** 32 - 1]) {
      const id = newDeltaId(session, sequence);
      expect(id).toMatch(/^event_[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
      expect(isId("event", id)).toBe(true);
      expect(deltaIdSequence(session, id)).toBe(sequence);
      expect(deltaIdSequence(newId("session"), id)).toBeNull();
    }
  });

  it("are unique and time-ordered, also many for one sequence within one millisecond", () => {
    const ids = Array.from({ length: 2000 }, () => newDeltaId(session, 7));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it("refuse a stored event's id, a changed digit and other strings", () => {
    const id = newDeltaId(session, 42);
    expect(deltaIdSequence(session, newId("event"))).toBeNull();
    expect(deltaIdSequence(session, "garbage")).toBeNull();
    for (const at of [6, 20, 30, id.length - 1]) {
      const digit = id[at] === "0" ? "1" : "0";
      expect(deltaIdSequence(session, id.slice(0, at) + digit + id.slice(at + 1)), `digit ${at}`).toBeNull();
    }
  });
});
