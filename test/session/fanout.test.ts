import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../src/session/events";
import { eventFilter } from "../../src/session/events";
import { Fanout, type ReplaySource, type SubscriberState } from "../../src/session/fanout";
import { envelope } from "../support/events";

/** A log of `count` stored events. */
function source(count: number): ReplaySource {
  const events = Array.from({ length: count }, (_, i) => envelope(i + 1));
  return {
    head: count,
    read: (after, upTo, limit) => events.filter((e) => e.sequence > after && e.sequence <= upTo).slice(0, limit),
    deltaId: () => "delta_1",
  };
}

const client = (caller: string, cursor = 0, types?: string[]): SubscriberState => ({
  mode: "client",
  caller,
  filter: eventFilter(types, undefined),
  cursor,
  live: false,
  credential: { userId: caller, apiKeyId: null, expiresAt: null },
});

/** The frames a subscriber's client end receives (client sockets get one envelope per text frame). */
function listen(res: Response): EventEnvelope[] {
  const received: EventEnvelope[] = [];
  const ws = res.webSocket;
  if (!ws) throw new Error("no WebSocket");
  ws.accept();
  ws.addEventListener("message", (event) => received.push(JSON.parse(event.data as string) as EventEnvelope));
  return received;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** Runs `check` with a fan-out over a fresh Durable Object's own WebSockets. */
async function withFanout(limits: { maxStreams: number; maxPerCaller: number }, check: (fanout: Fanout) => Promise<void>): Promise<void> {
  const stub = env.SESSIONS.get(env.SESSIONS.newUniqueId());
  await runInDurableObject(stub, (_instance, state) => check(new Fanout(state, { ...limits, maxBufferedBytes: 1 << 20 })));
}

describe("the fan-out of a session's events (Fanout)", () => {
  it("counts subscribers against the session's cap and each caller's", async () => {
    await withFanout({ maxStreams: 3, maxPerCaller: 2 }, async (fanout) => {
      const log = source(0);
      fanout.accept(log, client("key_a"), null);
      expect(fanout.overCap("key_a")).toBeNull();
      fanout.accept(log, client("key_a"), null);
      expect(fanout.overCap("key_a")).toBe("caller");
      expect(fanout.overCap("key_b")).toBeNull();
      fanout.accept(log, client("key_b"), null);
      expect(fanout.overCap("key_c")).toBe("session");
      expect(await fanout.capReached("key_c")).toBe("session");
      fanout.closeAll();
    });
  });

  it("replays after the cursor, then goes live with no gap and no duplicate, and answers with the subprotocol", async () => {
    await withFanout({ maxStreams: 10, maxPerCaller: 10 }, async (fanout) => {
      const res = fanout.accept(source(3), client("key_a", 1), "everruns.v1");
      expect(res.status).toBe(101);
      expect(res.headers.get("sec-websocket-protocol")).toBe("everruns.v1");
      const received = listen(res);
      fanout.broadcast([envelope(4)]);
      await settle();
      expect(received.map((e) => e.sequence)).toEqual([2, 3, 4]);
      fanout.closeAll();
    });
  });

  it("sends each subscriber only the types it wants", async () => {
    await withFanout({ maxStreams: 10, maxPerCaller: 10 }, async (fanout) => {
      const all = listen(fanout.accept(source(0), client("key_a"), null));
      const some = listen(fanout.accept(source(0), client("key_b", 0, ["turn.completed"]), null));
      fanout.broadcast([envelope(1, "turn.started"), envelope(2, "turn.completed")]);
      await settle();
      expect(all.map((e) => e.type)).toEqual(["turn.started", "turn.completed"]);
      expect(some.map((e) => e.type)).toEqual(["turn.completed"]);
      fanout.closeAll();
    });
  });
});
