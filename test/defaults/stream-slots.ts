import { describe, expect, it } from "vitest";
import { sessionSetup } from "../support/sessions";
import { openStream, reopenStream, SseReader } from "../support/sse-reader";

/**
 * With the settings as deployed (heartbeat 15 s, caps of 1,000 per session and 100 per caller):
 * a client that leaves gives its slot back at once, not at the next heartbeat 15–30 s later, so a
 * browser that reconnects after a blip, again and again, is never refused. A closed stream that
 * kept its slot until a write found it gone would make the 21st reconnect within a heartbeat a 429.
 */
describe("stream slots with the deployed settings", () => {
  it("before refusing a caller at its cap, has its relays write to their clients, so one that vanished is found and its slot freed", async () => {
    const { t, session } = await sessionSetup();
    // The caller's cap is 100. A client that vanished without closing (a dropped network) is only
    // noticed when a write to it fails; without the probe, that write is the next heartbeat, 15 s on.
    const readers = await Promise.all(Array.from({ length: 100 }, async () => new SseReader(await openStream(t, session.id))));
    for (const reader of readers) await reader.expectOpening();
    const started = Date.now();
    const refused = await openStream(t, session.id);
    expect(refused.status).toBe(429);
    await refused.body?.cancel();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250); // it waited for the probe's answers
    // Every stream of the caller was written to at once, long before its heartbeat was due.
    const probes = await Promise.all(readers.map((reader) => reader.next(2_000)));
    expect(probes.every((frame) => frame?.kind === "comment" && frame.comment === "heartbeat")).toBe(true);
    for (const reader of readers) await reader.cancel();
  });

  it("frees a closed stream's slot at once: 150 connect-read-leave cycles of one caller, more than its cap, all succeed", async () => {
    const { t, session } = await sessionSetup();
    const statuses: number[] = [];
    for (let cycle = 0; cycle < 150; cycle += 1) {
      const res = await reopenStream(t, session.id, "", 20);
      statuses.push(res.status);
      if (res.status !== 200) break;
      const reader = new SseReader(res);
      await reader.expectOpening();
      await reader.cancel();
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(statuses).toHaveLength(150);
  });
});
