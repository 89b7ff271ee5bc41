import { afterEach, describe, expect, it, vi } from "vitest";
import type { EventEnvelope } from "../../src/session/event-types";
import { newTenant } from "../helpers";
import { as, createAgent, createSession, openStream, sendMessage } from "../fixtures";
import { SseReader } from "../sse-client";
import { hangReplyWrites } from "../stuck-turn";

// Runs in the "timing" project: turn deadline 1.5 s, watchdog every 250 ms (see vitest.config.ts).

describe("the watchdog and a turn whose work ignores its abort", () => {
  afterEach(() => vi.restoreAllMocks());

  it("ends the turn a watchdog period after the deadline's abort with turn.failed turn_timeout, and the session goes idle", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    const reader = new SseReader(await openStream(t, session.id));
    const hang = hangReplyWrites();
    await sendMessage(t, session.id, "hello");
    await hang.reached();
    const events = await reader.collectUntil((e: EventEnvelope) => e.type === "session.completed", 10_000);
    await reader.cancel();
    const terminal = events.filter((e) => e.type.startsWith("turn.") && e.type !== "turn.started");
    expect(terminal.map((e) => [e.type, e.data.error_code])).toEqual([["turn.failed", "turn_timeout"]]);
    const state = (await (await as(t, `/v1/sessions/${session.id}`)).json()) as { status: string };
    expect(state.status).toBe("idle");
    // A cancel now has nothing to cancel.
    const cancel = await as(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    expect(await cancel.json()).toEqual({ status: "no_op" });
  }, 15_000);
});
