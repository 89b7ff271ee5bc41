import { afterEach, describe, expect, it, vi } from "vitest";
import type { EventEnvelope } from "../../src/session/rpc";
import { sleep } from "../support/async";
import { listEvents, TERMINAL } from "../support/events";
import { scenarioBase } from "../support/models";
import { callAs } from "../support/requests";
import { getSession, sendMessage } from "../support/resources";
import { sessionSetup } from "../support/sessions";
import { startStuckTurn } from "../support/stuck-turn";

// Runs in the "timing" project: turn deadline 2 s, watchdog every 250 ms (see vitest.config.ts).

describe("the watchdog and a turn whose work ignores its abort", () => {
  afterEach(() => vi.restoreAllMocks());

  it("ends the turn a watchdog period after the deadline's abort with turn.failed turn_timeout, and the session goes idle", async () => {
    const { t, session, reader } = await startStuckTurn();
    // The stream would be cycled (2 s) around when the watchdog acts: read the stored events instead.
    await reader.cancel();
    let events: EventEnvelope[] = [];
    for (let i = 0; i < 100 && events.at(-1)?.type !== "session.completed"; i += 1) {
      await sleep(100);
      events = await listEvents(t, session.id);
    }
    const terminal = events.filter((e) => e.type.startsWith("turn.") && e.type !== "turn.started");
    expect(terminal.map((e) => [e.type, e.data.error_code])).toEqual([["turn.failed", "turn_timeout"]]);
    expect(events.at(-1)?.type).toBe("session.completed");
    expect((await getSession(t, session.id)).status).toBe("idle");
    // A cancel now has nothing to cancel.
    const cancel = await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    expect(await cancel.json()).toEqual({ status: "no_op" });
  }, 15_000);
});

describe("the turn deadline", () => {
  it("ends a turn that outlives its deadline with turn.failed turn_timeout, and the session goes idle", async () => {
    const { t, session } = await sessionSetup({ provider: { type: "openai", base: scenarioBase("openai", "hang") } });
    await sendMessage(t, session.id, "this model never answers");
    const started = Date.now();
    let events = await listEvents(t, session.id);
    while (events.at(-1)?.type !== "session.completed" && Date.now() - started < 8000) {
      await sleep(100);
      events = await listEvents(t, session.id);
    }
    // The deadline is 2 s and the watchdog looks every 250 ms; the provider's own timeout is 30 s.
    expect(Date.now() - started).toBeLessThan(5000);
    const terminal = events.filter((e) => TERMINAL.has(e.type));
    expect(terminal).toHaveLength(1);
    expect(terminal[0]?.data).toMatchObject({ error_code: "turn_timeout" });
    expect((await getSession(t, session.id)).status).toBe("idle");
  });
});
