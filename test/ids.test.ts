import { describe, expect, it } from "vitest";
import { ID_PREFIXES, isId, newId } from "../src/lib/ids";

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
