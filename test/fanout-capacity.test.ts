import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../src/session/rpc";
import { settledEvents, stored } from "./support/events";
import { type Caller, callAs } from "./support/requests";
import { sessionSetup } from "./support/sessions";
import { openSocket, SocketReader } from "./support/socket-reader";
import { openStream, type SseFrame, SseReader } from "./support/sse-reader";
import { memberOf } from "./support/tenants";

/** Every subscriber one session may have (SSE_MAX_STREAMS_PER_SESSION's default): two that never read, the rest reading. */
const SUBSCRIBERS = 1000;
/** SSE_MAX_STREAMS_PER_CALLER's default: the readers are spread over members of the org, this many each. */
const PER_CALLER = 100;
const MESSAGES = 60;
/** How long after the log settles the last reader may still be waiting for the session's last event. */
const READER_LAG_MS = 10_000;

describe("fan-out capacity", () => {
  it(`delivers a burst of over 200 events to ${SUBSCRIBERS} subscribers of one session, each complete and in order, none holding back another (one SSE stream and one WebSocket never read)`, async () => {
    const { t, session } = await sessionSetup();
    // One SSE stream read only up to its opening frames, then never again.
    const stalledStream = await openStream(t, session.id);
    expect(stalledStream.status).toBe(200);
    const stalledSse = new SseReader(stalledStream);
    await stalledSse.expectOpening();
    // One client WebSocket never accepted: workerd does not read a socket before accept(), so
    // nothing consumes its messages until the end of the test. (workerd reports no bufferedAmount
    // on the object's end, so the object's own 4008 rule for client sockets cannot act here.)
    const stalledWs = await openSocket(t, session.id);
    expect(stalledWs.status).toBe(101);

    const readerCount = SUBSCRIBERS - 2;
    const callers: Caller[] = [];
    for (let i = 0; i < Math.ceil(readerCount / PER_CALLER); i += 1) callers.push(await memberOf(t));
    const sockets: SocketReader[] = [];
    for (const [c, caller] of callers.entries()) {
      const count = Math.min(PER_CALLER, readerCount - c * PER_CALLER);
      const opened = await Promise.all(Array.from({ length: count }, () => openSocket(caller, session.id, "?exclude=message.delta")));
      sockets.push(...opened.map((res) => new SocketReader(res)));
    }
    expect(sockets).toHaveLength(readerCount);

    const posts = Array.from({ length: MESSAGES }, (_, i) =>
      callAs(t, `/v1/sessions/${session.id}/messages`, {
        method: "POST",
        json: { message: { role: "user", content: [{ type: "text", text: `burst ${i}` }] } },
      }),
    );
    for (const res of await Promise.all(posts)) expect(res.status).toBe(201);
    const log = await settledEvents(t, session.id);
    const settledAt = Date.now();
    const all = await listAll(t, session.id, log.at(-1)?.sequence ?? 0);
    expect(all.length).toBeGreaterThanOrEqual(200);
    const last = all.at(-1)?.sequence;
    const isLast = (e: EventEnvelope) => e.sequence === last && e.type !== "message.delta";

    // Every reader has every event, in order, while the two stalled subscribers still hold theirs unread.
    const received = await Promise.all(sockets.map((s) => s.collectUntil(isLast, 20_000)));
    const lag = Date.now() - settledAt;
    for (const [i, events] of received.entries()) {
      expect(
        stored(events).map((e) => e.sequence),
        `subscriber ${i + 1}`,
      ).toEqual(all.map((e) => e.sequence));
    }
    expect(lag, "readers caught up this long after the log settled").toBeLessThan(READER_LAG_MS);

    // The burst is far below SSE_MAX_BUFFERED_BYTES (1 MiB here): about 200 KB of SSE text, nearly
    // all of it left unread in the relay's queue, and 170 KB of WebSocket frames. So neither stalled
    // subscriber is let go: each finds every event waiting, in order, and its connection still open.
    const sse = await eventsUntil(stalledSse, isLast);
    expect(sse.filter((f) => f.event === "disconnecting")).toEqual([]);
    expect(stored(sse.map((f) => f.envelope)).map((e) => e.sequence)).toEqual(all.map((e) => e.sequence));
    expect(await framesFor(stalledSse, 300)).toEqual({ ended: false, events: [] });

    const ws = new SocketReader(stalledWs);
    const wsEvents = await ws.collectUntil(isLast, 20_000);
    expect(stored(wsEvents).map((e) => e.sequence)).toEqual(all.map((e) => e.sequence));
    expect(ws.closed).toBeNull();

    for (const socket of sockets) socket.close();
    ws.close();
    await stalledSse.cancel();
  }, 120_000);
});

/** Every stored event of the session, through the JSON list's pages. */
async function listAll(t: Parameters<typeof callAs>[0], sessionId: string, head: number): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  while ((out.at(-1)?.sequence ?? 0) < head) {
    const res = await callAs(t, `/v1/sessions/${sessionId}/events?after_sequence=${out.at(-1)?.sequence ?? 0}&limit=1000`, {
      headers: { accept: "application/json" },
    });
    out.push(...((await res.json()) as { data: EventEnvelope[] }).data);
  }
  return out;
}

/** A stream's event frames up to the first one `stop` accepts, or up to a `disconnecting` frame or the end. */
async function eventsUntil(reader: SseReader, stop: (e: EventEnvelope) => boolean): Promise<{ event: string; envelope: EventEnvelope }[]> {
  const out: { event: string; envelope: EventEnvelope }[] = [];
  for (;;) {
    const next = await reader.nextEvent(20_000);
    if (next === null) return out;
    out.push({ event: next.event, envelope: next.envelope });
    if (next.event === "disconnecting" || stop(next.envelope)) return out;
  }
}

/** What a stream sends within `ms` (heartbeat comments aside), and whether it ended. */
async function framesFor(reader: SseReader, ms: number): Promise<{ ended: boolean; events: SseFrame[] }> {
  const events: SseFrame[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    let frame: SseFrame | null;
    try {
      frame = await reader.next(Math.max(1, deadline - Date.now()));
    } catch {
      return { ended: false, events }; // nothing more within the time: still open
    }
    if (frame === null) return { ended: true, events };
    if (frame.kind !== "comment") events.push(frame);
  }
}
