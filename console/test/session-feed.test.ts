import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../src/api/types";
import type { SessionLog } from "../src/chat/session-log";
import { type FeedApi, type FeedStatus, SessionFeed } from "../src/stream/session-feed";
import { EventScript } from "./events";

const encoder = new TextEncoder();

function frame(event: EventEnvelope): string {
  const id = event.type === "message.delta" ? "" : `id: ${event.id}\n`;
  return `${id}event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** A stream that sends `frames`, then either fails (a dropped network) or stays open. */
function stream(frames: string[], end: "drop" | "open"): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const f of frames) controller.enqueue(encoder.encode(f));
      if (end === "drop") setTimeout(() => controller.error(new TypeError("network error")), 10);
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

describe("session feed", () => {
  it("after a dropped stream, catches up after its last stored event and resumes with Last-Event-ID, without duplicating the reply", async () => {
    const s = new EventScript();
    const user = s.userMessage(0, "message_u", "hello");
    const started = s.stored("turn.started", 5, { turn_id: "turn_1" }, "turn_1", "message_u");
    const first = s.delta(20, "turn_1", "message_r", "Echo:", "Echo:");
    const resumed = s.delta(40, "turn_1", "message_r", "Echo: hello", "Echo: hello");
    const reply = s.agentMessage(50, "turn_1", "message_r", [{ type: "text", text: "Echo: hello" }]);
    const completed = s.stored("turn.completed", 55, { duration_ms: 50, iterations: 1, usage: null }, "turn_1");

    const requests: { path: string; lastEventId: string | null }[] = [];
    const answers = [
      () => Response.json({ data: [user] }),
      () => stream([": heartbeat\n\n", frame(started), frame(first), "event: connected\ndata: {}\n\n"], "drop"),
      () => Response.json({ data: [] }),
      () => stream([frame(started), frame(resumed), frame(reply), frame(completed)], "open"),
    ];
    const api: FeedApi = {
      fetch: async (path, init) => {
        requests.push({ path, lastEventId: new Headers(init?.headers).get("last-event-id") });
        const answer = answers.shift();
        if (!answer) throw new Error(`unexpected request ${path}`);
        return answer();
      },
    };
    const logs: SessionLog[] = [];
    const statuses: FeedStatus[] = [];
    const feed = new SessionFeed(api, "session_test", { log: (l) => logs.push(l), status: (st) => statuses.push(st) });
    feed.start();
    await expect.poll(() => feed.log.lastSequence, { timeout: 5000 }).toBe(completed.sequence);
    feed.stop();

    expect(requests.map((r) => [r.path.replace(/\?.*/, ""), r.path.match(/since_id=([\w]+)/)?.[1] ?? null, r.lastEventId])).toEqual([
      ["/v1/sessions/session_test/events", null, null],
      ["/v1/sessions/session_test/sse", null, user.id],
      ["/v1/sessions/session_test/events", started.id, null],
      ["/v1/sessions/session_test/sse", null, started.id],
    ]);
    expect(statuses).toContain("reconnecting");
    expect(statuses.at(-1)).toBe("live");
    expect(feed.log.events.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
    expect(feed.log.streaming).toEqual({});
    // The reply was shown from `accumulated` across the drop: never "Echo:Echo: hello".
    const shown = logs.flatMap((l) => Object.values(l.streaming).map((r) => r.text));
    expect(shown).toEqual(expect.arrayContaining(["Echo:", "Echo: hello"]));
    expect(shown.every((t) => t === "Echo:" || t === "Echo: hello")).toBe(true);
  });
});
