import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../src/session/rpc";
import { sendMessage } from "../support/resources";
import { sessionSetup } from "../support/sessions";
import { framesUntilClosed, openStream, SseReader } from "../support/sse-reader";

// Runs in the "timing" project: 256 KiB backlog, a session's streams beside its first through the
// shared relay (see vitest.config.ts).

describe("slow consumers", () => {
  // A session's first stream is terminated by the Worker, the one beside it by the shared relay
  // object (SSE_SHARED_RELAY_FROM=1 in this project): the stalled stream is each in turn.
  for (const stalledFirst of [true, false]) {
    it(`drops a subscriber that stops reading without holding back the one that reads (the stalled one opened ${stalledFirst ? "first" : "second"})`, async () => {
      const { t, session } = await sessionSetup();
      const open = async () => new SseReader(await openStream(t, session.id));
      const first = await open();
      await first.expectOpening();
      const second = await open();
      await second.expectOpening();
      const [stalled, reading] = stalledFirst ? [first, second] : [second, first];
      // Ten messages of about 45 KB, each answered before the next is sent: the reading client keeps
      // up, while the stalled one's share (each message, the reply's deltas, each stored reply) grows
      // past the 256 KiB backlog limit and every buffer on the way.
      const words = Array.from({ length: 7_000 }, (_, i) => `w${i}`).join(" ");
      const events: EventEnvelope[] = [];
      for (let i = 0; i < 10; i += 1) {
        await sendMessage(t, session.id, words);
        events.push(...(await reading.collectUntil((e) => e.type === "turn.completed", 10_000)));
      }
      await reading.cancel();
      expect(events.filter((e) => e.type === "turn.completed")).toHaveLength(10);

      // The stalled stream was let go: reading it now gives what was queued, then a
      // `disconnecting` frame with reason slow_consumer, then the end, before the turns ended.
      const rest = await framesUntilClosed(stalled, 5000);
      const last = rest.at(-1);
      expect(last).toMatchObject({ kind: "event", event: "disconnecting" });
      expect(JSON.parse(last?.kind === "event" ? last.data : "{}")).toEqual({ reason: "slow_consumer", retry_ms: 250 });
      const seen = rest.flatMap((f) => (f.kind === "event" && f.event !== "disconnecting" ? [JSON.parse(f.data) as EventEnvelope] : []));
      expect(seen.filter((e) => e.type === "turn.completed").length).toBeLessThan(10);
      // What it did get is in order with no gap, so a resume from its last id loses nothing.
      const sequences = seen.filter((e) => e.type !== "message.delta").map((e) => e.sequence);
      expect(sequences).toEqual(sequences.map((_, i) => (sequences[0] ?? 1) + i));
      await stalled.cancel().catch(() => undefined);
    });
  }
});
