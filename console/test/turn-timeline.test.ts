import { describe, expect, it } from "vitest";
import { buildTimeline } from "../src/timeline/turn-timeline";
import { EventScript, timeTurn } from "./events";

describe("turn timeline", () => {
  it("derives model calls, the tool call, first token, duration and usage from the events", () => {
    const { script, firstDelta } = timeTurn();
    const turnEvents = script.events.filter((e) => e.context.turn_id === "turn_1");
    const timeline = buildTimeline(turnEvents, { message_reply: firstDelta.ts }, 0);
    expect(timeline?.spans.map((s) => [s.kind, s.label, s.start, s.end, s.firstToken, s.status])).toEqual([
      ["model", "model call 1", 0, 50, null, "done"],
      ["tool", "get_current_time", 60, 85, null, "done"],
      ["model", "model call 2", 90, 290, 120, "done"],
    ]);
    expect(timeline).toMatchObject({
      totalMs: 300,
      durationMs: 300,
      firstTokenMs: 120,
      iterations: 2,
      running: false,
      usage: { input_tokens: 40, output_tokens: 12 },
    });
  });

  it("grows the open model call with the clock while the turn runs, and ends it at a cancel", () => {
    const s = new EventScript();
    const started = s.stored("turn.started", 0, { turn_id: "turn_a" }, "turn_a", "message_a");
    const now = Date.parse(started.ts) + 400;
    const running = buildTimeline(s.events, { message_reply: new Date(Date.parse(started.ts) + 80).toISOString() }, now, "message_reply");
    expect(running?.spans).toMatchObject([{ kind: "model", start: 0, end: 400, firstToken: 80, status: "running" }]);
    expect(running).toMatchObject({ running: true, totalMs: 400, durationMs: null });
    s.stored("turn.cancelled", 250, { duration_ms: 250, iterations: 1, usage: { input_tokens: 3, output_tokens: 0 } }, "turn_a");
    const cancelled = buildTimeline(s.events, {}, now);
    expect(cancelled?.spans).toMatchObject([{ kind: "model", start: 0, end: 250, firstToken: null, status: "stopped" }]);
  });

  it("has no timeline before the turn has started", () => {
    expect(buildTimeline([], {}, 0)).toBeNull();
  });
});
