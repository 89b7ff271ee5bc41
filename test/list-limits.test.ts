import { describe, expect, it } from "vitest";
import { listEvents } from "./support/events";
import { expectProblem } from "./support/problems";
import { type Caller, callAs } from "./support/requests";
import { createAgent, createSession, sendMessage } from "./support/resources";
import { newTenant } from "./support/tenants";

/** The `limit` a paginated list answered with for `query` (expects 200). */
async function answeredLimit(caller: Caller, path: string, query: string): Promise<number> {
  const res = await callAs(caller, `${path}${query}`);
  const text = await res.text();
  expect(res.status, `${path}${query}: ${text}`).toBe(200);
  return (JSON.parse(text) as { limit: number }).limit;
}

/** Every paginated list of one tenant's data (spec §1: default 20, at most 100). */
async function paginatedLists() {
  const t = await newTenant();
  const agent = await createAgent(t);
  const session = await createSession(t, agent.id);
  return {
    t,
    session,
    paths: ["/v1/agents", "/v1/sessions", `/v1/agents/${agent.id}/sessions`, `/v1/sessions/${session.id}/messages`],
  };
}

describe("limit on every paginated list (spec §1: larger values are clamped, not rejected)", () => {
  it("clamps a limit beyond any integer type to the maximum", async () => {
    const { t, paths } = await paginatedLists();
    for (const path of paths) {
      for (const huge of ["99999999999999999999999", "9007199254740993", "1".padEnd(400, "0")]) {
        expect(await answeredLimit(t, path, `?limit=${huge}`), `${path} limit=${huge}`).toBe(100);
      }
      expect(await answeredLimit(t, path, "?limit=-99999999999999999999999"), path).toBe(1);
    }
  });

  it("treats an empty limit as no limit given: the default, not 1", async () => {
    const { t, paths } = await paginatedLists();
    for (const path of paths) {
      expect(await answeredLimit(t, path, "?limit="), path).toBe(20);
      expect(await answeredLimit(t, path, "?limit=&offset="), path).toBe(20);
    }
  });

  it("still clamps small values and refuses what is not an integer, naming query.limit", async () => {
    const { t, paths } = await paginatedLists();
    for (const path of paths) {
      expect(await answeredLimit(t, path, "?limit=0"), path).toBe(1);
      expect(await answeredLimit(t, path, "?limit=%2B7"), path).toBe(7);
      expect(await answeredLimit(t, path, "?limit=007"), path).toBe(7);
      for (const bad of ["abc", "1.5", "1e3", "0x10", "Infinity", "NaN", "%20", "7abc"]) {
        await expectProblem(await callAs(t, `${path}?limit=${bad}`), 400, "validation_failed", ["query.limit"]);
      }
    }
  });

  it("clamps the JSON event list's limit the same way (default and maximum 1000)", async () => {
    const { t, session } = await paginatedLists();
    await sendMessage(t, session.id, "hello");
    const all = await listEvents(t, session.id);
    expect(all.length).toBeGreaterThan(1);
    expect((await listEvents(t, session.id, "?limit=99999999999999999999999")).length).toBe(all.length);
    expect((await listEvents(t, session.id, "?limit=")).length).toBe(all.length);
    expect((await listEvents(t, session.id, "?limit=1")).length).toBe(1);
  });
});
