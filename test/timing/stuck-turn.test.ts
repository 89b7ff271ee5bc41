import { afterEach, describe, expect, it, vi } from "vitest";
import type { EventEnvelope } from "../../src/session/rpc";
import { as } from "../fixtures";
import { startStuckTurn } from "../stuck-turn";

// Runs in the "timing" project: turn deadline 1.5 s, watchdog every 250 ms (see vitest.config.ts).

describe("the watchdog and a turn whose work ignores its abort", () => {
  afterEach(() => vi.restoreAllMocks());

  it("ends the turn a watchdog period after the deadline's abort with turn.failed turn_timeout, and the session goes idle", async () => {
    const { t, session, reader } = await startStuckTurn();
    // The stream would be cycled (2 s) around when the watchdog acts: read the stored events instead.
    await reader.cancel();
    let events: EventEnvelope[] = [];
    for (let i = 0; i < 100 && events.at(-1)?.type !== "session.completed"; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const res = await as(t, `/v1/sessions/${session.id}/events`, { headers: { accept: "application/json" } });
      events = ((await res.json()) as { data: EventEnvelope[] }).data;
    }
    const terminal = events.filter((e) => e.type.startsWith("turn.") && e.type !== "turn.started");
    expect(terminal.map((e) => [e.type, e.data.error_code])).toEqual([["turn.failed", "turn_timeout"]]);
    expect(events.at(-1)?.type).toBe("session.completed");
    const state = (await (await as(t, `/v1/sessions/${session.id}`)).json()) as { status: string };
    expect(state.status).toBe("idle");
    // A cancel now has nothing to cancel.
    const cancel = await as(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    expect(await cancel.json()).toEqual({ status: "no_op" });
  }, 15_000);
});
