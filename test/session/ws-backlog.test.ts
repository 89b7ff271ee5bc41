import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../src/session/events";
import { eventFilter } from "../../src/session/events";
import { Fanout, MIN_BACKLOG_BYTES, type ReplaySource, type SubscriberState, tooFarBehind } from "../../src/session/fanout";

/**
 * The slow-consumer rule of client WebSockets, where the runtime reports `bufferedAmount`
 * (`wrangler dev` does; workerd under test does not, so these sockets stand in for it): right after
 * a send a socket reports that message as queued, and a client that reads empties the queue a
 * moment later.
 */
class QueueingSocket {
  bufferedAmount = 0;
  readonly received: string[] = [];
  closed: { code: number; reason: string } | null = null;
  #attachment: unknown = null;

  constructor(readonly reads: boolean) {}

  send(message: string): void {
    if (this.closed) throw new Error("closed");
    this.received.push(message);
    this.bufferedAmount += new TextEncoder().encode(message).length;
    if (this.reads) setTimeout(() => (this.bufferedAmount = 0), 5);
  }

  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }

  serializeAttachment(value: unknown): void {
    this.#attachment = value;
  }

  deserializeAttachment(): unknown {
    return this.#attachment;
  }

  events(): EventEnvelope[] {
    return this.received.map((m) => JSON.parse(m) as EventEnvelope);
  }
}

/** A fan-out over these sockets only: the object's socket list, as `ctx.getWebSockets` gives it. */
function fanoutOver(sockets: QueueingSocket[], maxBufferedBytes = 1 << 20): Fanout {
  const ctx = {
    getWebSockets: () => sockets.filter((s) => !s.closed),
    acceptWebSocket: () => undefined,
  } as unknown as DurableObjectState;
  return new Fanout(ctx, { maxStreams: 10, maxPerCaller: 10, maxBufferedBytes });
}

const client = (live: boolean): SubscriberState => ({
  mode: "client",
  caller: "user_a",
  filter: eventFilter(undefined, undefined),
  cursor: 0,
  live,
  credential: { userId: "user_a", apiKeyId: null, expiresAt: null },
});

/** An event whose JSON is about `bytes` long: near the 2 MB row limit, one fills a replay page alone. */
const large = (sequence: number, bytes = 1_500_000): EventEnvelope => ({
  id: `event_${sequence}`,
  type: "message.created",
  ts: new Date().toISOString(),
  session_id: "session_1",
  sequence,
  context: { turn_id: "turn_1", input_message_id: "message_1" },
  data: { message: { id: `message_${sequence}`, role: "user", content: [{ type: "text", text: "x".repeat(bytes) }] } },
});

const until = async (done: () => boolean, ms = 5_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe("the slow-consumer rule of client WebSockets", () => {
  it("measures the backlog left by earlier sends, against a limit above the largest message", () => {
    expect(tooFarBehind(undefined, 0)).toBe(false);
    expect(tooFarBehind(MIN_BACKLOG_BYTES, MIN_BACKLOG_BYTES)).toBe(false);
    expect(tooFarBehind(MIN_BACKLOG_BYTES + 1, MIN_BACKLOG_BYTES)).toBe(true);
  });

  it("sends a reading client live events larger than the configured backlog, closing nothing", async () => {
    const socket = new QueueingSocket(true);
    socket.serializeAttachment(client(true));
    const fanout = fanoutOver([socket]);
    for (let i = 1; i <= 3; i += 1) {
      fanout.broadcast([large(i)]);
      await until(() => socket.bufferedAmount === 0);
    }
    expect(socket.closed).toBeNull();
    expect(socket.events().map((e) => e.sequence)).toEqual([1, 2, 3]);
  });

  it("replays a history of events near the size limit to a reading client, page by page, then goes live", async () => {
    const history = [1, 2, 3, 4].map((n) => large(n));
    const source: ReplaySource = {
      head: history.length,
      read: (after, upTo, limit, maxBytes) => {
        const page: EventEnvelope[] = [];
        let bytes = 0;
        for (const e of history.filter((h) => h.sequence > after && h.sequence <= upTo).slice(0, limit)) {
          bytes += JSON.stringify(e.data).length;
          if (page.length > 0 && bytes > maxBytes) break;
          page.push(e);
        }
        return page;
      },
      deltaId: () => "delta_1",
    };
    // The object's end of a real socket pair, reporting its queue as `wrangler dev` does.
    let server: WebSocket | null = null;
    const received: string[] = [];
    let queued = 0;
    const ctx = {
      getWebSockets: () => (server ? [server] : []),
      acceptWebSocket: (ws: WebSocket) => {
        server = ws;
        ws.accept();
        const send = ws.send.bind(ws);
        Object.defineProperty(ws, "bufferedAmount", { get: () => queued });
        ws.send = (message: string | ArrayBuffer | ArrayBufferView) => {
          send(message);
          queued += typeof message === "string" ? new TextEncoder().encode(message).length : 0;
          setTimeout(() => (queued = 0), 5);
        };
      },
    } as unknown as DurableObjectState;
    const fanout = new Fanout(ctx, { maxStreams: 10, maxPerCaller: 10, maxBufferedBytes: 1 << 20 });
    const clientEnd = fanout.accept(source, client(false), null).webSocket;
    if (!clientEnd) throw new Error("no WebSocket");
    let closed: { code: number; reason: string } | null = null;
    clientEnd.addEventListener("message", (event) => {
      received.push(event.data as string);
    });
    clientEnd.addEventListener("close", (event) => {
      closed = { code: event.code, reason: event.reason };
    });
    clientEnd.accept();
    const socket = {
      get received() {
        return received;
      },
      get closed() {
        return closed;
      },
      events: () => received.map((m) => JSON.parse(m) as EventEnvelope),
    };
    await until(() => socket.received.length === history.length || socket.closed !== null);
    expect(socket.closed).toBeNull();
    expect(socket.events().map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
    fanout.broadcast([large(5, 1000)]);
    await until(() => received.length === 5);
    expect(socket.events().map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
  });

  it("closes a client that does not read with 4008 once its backlog passes the limit, and sends it nothing more", () => {
    const socket = new QueueingSocket(false);
    socket.serializeAttachment(client(true));
    const fanout = fanoutOver([socket]);
    for (let i = 1; i <= 10 && !socket.closed; i += 1) {
      fanout.broadcast([large(i)]);
    }
    expect(socket.closed).toEqual({ code: 4008, reason: "slow_consumer" });
    // Everything sent fit under the limit when it was sent; the message that found it passed was not sent.
    expect(socket.bufferedAmount).toBeGreaterThan(MIN_BACKLOG_BYTES);
    expect(socket.bufferedAmount - 1_600_000).toBeLessThanOrEqual(MIN_BACKLOG_BYTES);
    fanout.broadcast([large(99, 10)]);
    expect(socket.events().map((e) => e.sequence)).not.toContain(99);
  });
});
