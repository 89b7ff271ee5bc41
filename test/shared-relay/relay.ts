import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sessionStub } from "../../src/services/session-client";
import { eventFilter } from "../../src/session/events";
import { Fanout, type ReplaySource, type SubscriberState } from "../../src/session/fanout";
import { STREAM } from "../../src/session/rpc";
import { parseFeedFrame, parseJoined } from "../../src/streaming/shared-feed";
import { envelope, expectDeltaChains, isEnd, listEvents, stored } from "../support/events";
import { callAs } from "../support/requests";
import { sendMessage } from "../support/resources";
import { sessionSetup } from "../support/sessions";
import { openStream, reopenStream, SseReader } from "../support/sse-reader";

const emptyLog: ReplaySource = { head: 0, read: () => [], deltaId: () => "delta_1" };
const relay = (feed: string | undefined, exclude?: string[]): SubscriberState => ({
  mode: "relay",
  caller: "user_1",
  filter: eventFilter(undefined, exclude),
  cursor: 0,
  live: false,
  credential: { userId: "user_1", apiKeyId: null, expiresAt: null },
  ...(feed ? { feed } : {}),
});
/** The binary messages a relay's end of its socket receives. */
function frames(res: Response): Uint8Array[] {
  const got: Uint8Array[] = [];
  const ws = res.webSocket;
  if (!ws) throw new Error("no WebSocket");
  ws.binaryType = "arraybuffer";
  ws.accept();
  ws.addEventListener("message", (e) => {
    if (e.data instanceof ArrayBuffer) got.push(new Uint8Array(e.data));
  });
  return got;
}
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const text = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());
const sseIds = (bytes: Uint8Array | null | undefined) => [...text(bytes).matchAll(/^id: (.*)$/gm)].map((m) => m[1]);

/** The subscribers' attachments of a session object: which feed each relay is in, and which carries it. */
async function relayStates(sessionId: string): Promise<SubscriberState[]> {
  return runInDurableObject(sessionStub(env, sessionId), async (_i, ctx) =>
    ctx.getWebSockets("relay").map((ws) => ws.deserializeAttachment() as SubscriberState),
  );
}

describe("shared SSE relays", () => {
  it("sends a live event once per feed, on one relay's socket, with each filter's selection; a relay without a feed gets its own", async () => {
    const stub = env.SESSIONS.get(env.SESSIONS.newUniqueId());
    await runInDurableObject(stub, async (_instance, state) => {
      const fanout = new Fanout(state, { maxStreams: 10, maxPerCaller: 10, maxBufferedBytes: 1 << 20 });
      const a = [relay("feed_a"), relay("feed_a"), relay("feed_a", ["message.delta"])].map((s) => frames(fanout.accept(emptyLog, s, null)));
      const b = frames(fanout.accept(emptyLog, relay("feed_b"), null));
      const own = frames(fanout.accept(emptyLog, relay(undefined), null));
      await settle();
      for (const got of [...a, b]) expect(got.map((f) => f[0])).toEqual([STREAM.joined]);
      // Each relay's joined page names its filter key; the two unfiltered ones share one.
      const keys = a.map((got) => parseJoined(got[0] ?? new Uint8Array())?.position.key);
      expect(keys[0]).toBe(keys[1]);
      expect(keys[2]).not.toBe(keys[0]);
      expect(own.map((f) => f[0])).toEqual([STREAM.live]);
      for (const got of [...a, b, own]) got.length = 0;

      fanout.broadcast([envelope(1, "message.delta"), envelope(2, "tool.call")]);
      await settle();
      const carried = a.filter((got) => got.length > 0);
      expect(carried, "one socket of the feed carries its frame").toHaveLength(1);
      const [frame] = carried[0] ?? [];
      expect(frame?.[0]).toBe(STREAM.feed);
      const parsed = parseFeedFrame(frame ?? new Uint8Array());
      expect(parsed?.n).toBe(1);
      expect(sseIds(parsed?.bytesFor(keys[0] ?? ""))).toEqual(["event_1", "event_2"]);
      expect(sseIds(parsed?.bytesFor(keys[2] ?? ""))).toEqual(["event_2"]);
      expect(b.map((f) => f[0])).toEqual([STREAM.feed]);
      expect(own.map((f) => f[0])).toEqual([STREAM.live]);
      expect(sseIds(own[0]?.subarray(1))).toEqual(["event_1", "event_2"]);

      // The next frame goes on the same carrier, numbered on.
      fanout.broadcast([envelope(3, "tool.call")]);
      await settle();
      expect(carried[0]?.map((f) => parseFeedFrame(f)?.n)).toEqual([1, 2]);
      expect(a.filter((got) => got.length > 0)).toHaveLength(1);
    });
  });

  it("SSE clients of one session share one relay object and feed: one carrier, each client gets exactly its filtered stream", async () => {
    const { t, session } = await sessionSetup();
    const queries = ["", "", "?exclude=message.delta", "?types=session.completed"];
    const readers = await Promise.all(queries.map(async (q) => new SseReader(await openStream(t, session.id, q))));
    for (const r of readers) await r.expectOpening();
    await sendMessage(t, session.id, "hello");
    const got = await Promise.all(readers.map((r) => r.collectUntil(isEnd)));
    const log = await listEvents(t, session.id);
    const all = log.map((e) => e.sequence);
    expect(stored(got[0] ?? []).map((e) => e.sequence)).toEqual(all);
    expect(stored(got[1] ?? []).map((e) => e.sequence)).toEqual(all);
    expect(got[0]?.filter((e) => e.type === "message.delta").length).toBeGreaterThan(0);
    expectDeltaChains(got[0] ?? []);
    expect(got[2]?.map((e) => e.sequence)).toEqual(all);
    expect(got[3]?.map((e) => e.type)).toEqual(["session.completed"]);
    const relays = await relayStates(session.id);
    expect(relays).toHaveLength(4);
    expect(new Set(relays.map((s) => s.feed)).size).toBe(1);
    expect(relays.filter((s) => s.carrier)).toHaveLength(1);
    for (const r of readers) await r.cancel();
  });

  it("the carrier's client leaving mid-reply hands the feed to another relay: the others get every event once and their replies add up", async () => {
    const { t, session } = await sessionSetup();
    const first = new SseReader(await openStream(t, session.id));
    await first.expectOpening();
    await sendMessage(t, session.id, "first");
    await first.collectUntil(isEnd); // the only live relay: it carries the feed
    const others = await Promise.all([1, 2].map(async () => new SseReader(await openStream(t, session.id))));
    for (const r of others) await r.expectOpening();
    const before = await Promise.all(others.map((r) => r.collectUntil(isEnd))); // replay of the first turn
    expect((await relayStates(session.id)).filter((s) => s.carrier)).toHaveLength(1);

    await sendMessage(t, session.id, "second, with a long reply so that the carrier leaves while it streams");
    // The carrier leaves once a reply streams (the first client has a delta); the second client's events so far are kept.
    const [firstDelta, upToDelta] = await Promise.all([
      first.collectUntil((e) => e.type === "message.delta"),
      others[0]?.collectUntil((e) => e.type === "message.delta") ?? [],
    ]);
    expect(firstDelta.length).toBeGreaterThan(0);
    await first.cancel();
    const after = await Promise.all(others.map((r) => r.collectUntil(isEnd)));
    const log = (await listEvents(t, session.id)).map((e) => e.sequence);
    for (const i of others.keys()) {
      const events = [...(before[i] ?? []), ...(i === 0 ? upToDelta : []), ...(after[i] ?? [])];
      expect(
        stored(events).map((e) => e.sequence),
        `client ${i + 1}`,
      ).toEqual(log);
      expectDeltaChains(events);
    }
    // A third message goes out on the new carrier.
    await sendMessage(t, session.id, "third");
    const third = await Promise.all(others.map((r) => r.collectUntil(isEnd)));
    const full = (await listEvents(t, session.id)).map((e) => e.sequence);
    for (const [i, events] of third.entries())
      expect(
        stored(events).map((e) => e.sequence),
        `client ${i + 1}`,
      ).toEqual(full.slice(log.length));
    const relays = await relayStates(session.id);
    expect(relays).toHaveLength(2);
    expect(relays.filter((s) => s.carrier)).toHaveLength(1);
    for (const r of others) await r.cancel();
  });

  it("a session object evicted while its shared relay's streams stay connected wakes with a new feed count, and every stream gets the rest once", async () => {
    const { t, session } = await sessionSetup();
    const readers = await Promise.all([1, 2, 3].map(async () => new SseReader(await openStream(t, session.id))));
    for (const r of readers) await r.expectOpening();
    await sendMessage(t, session.id, "before");
    const before = await Promise.all(readers.map((r) => r.collectUntil(isEnd)));
    const stub = sessionStub(env, session.id);
    const first = await runInDurableObject(stub, (instance) => instance);
    await evictDurableObject(stub);
    await sendMessage(t, session.id, "after");
    const after = await Promise.all(readers.map((r) => r.collectUntil(isEnd)));
    expect(await runInDurableObject(stub, (instance) => instance)).not.toBe(first);
    const log = (await listEvents(t, session.id)).map((e) => e.sequence);
    for (const i of readers.keys()) {
      const events = [...(before[i] ?? []), ...(after[i] ?? [])];
      expect(
        stored(events).map((e) => e.sequence),
        `client ${i + 1}`,
      ).toEqual(log);
      expectDeltaChains(events);
    }
    expect((await relayStates(session.id)).filter((s) => s.carrier)).toHaveLength(1);
    for (const r of readers) await r.cancel();
  });

  it("counts each relay of a shared feed against the caps: a caller's 101st stream is refused, and a closed one frees its slot", async () => {
    const { t, session } = await sessionSetup();
    const readers = await Promise.all(Array.from({ length: 100 }, async () => new SseReader(await openStream(t, session.id))));
    for (const r of readers) await r.expectOpening();
    const refused = await openStream(t, session.id);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ code: "too_many_streams", status: 429 });
    expect(new Set((await relayStates(session.id)).map((s) => s.feed)).size).toBe(1);
    await readers.pop()?.cancel();
    const again = new SseReader(await reopenStream(t, session.id));
    await again.expectOpening();
    for (const r of [...readers, again]) await r.cancel();
  });

  it("a member whose key is revoked is ended with reauthenticate while the others of its feed go on", async () => {
    const { t, session } = await sessionSetup();
    const created = await callAs(t, "/v1/auth/api-keys", { method: "POST", json: { name: "stream key" } });
    expect(created.status).toBe(201);
    const { id, key } = (await created.json()) as { id: string; key: string };
    const revoked = new SseReader(await openStream({ headers: { authorization: key } }, session.id));
    const staying = new SseReader(await openStream(t, session.id));
    for (const r of [revoked, staying]) await r.expectOpening();
    await sendMessage(t, session.id, "before");
    for (const r of [revoked, staying]) await r.collectUntil(isEnd);
    expect(new Set((await relayStates(session.id)).map((s) => s.feed)).size).toBe(1);

    expect((await callAs(t, `/v1/auth/api-keys/${id}`, { method: "DELETE" })).status).toBe(204);
    let ending = null;
    for (let frame = await revoked.next(12_000); frame !== null; frame = await revoked.next(12_000)) {
      if (frame.kind === "event" && frame.event === "disconnecting") ending = JSON.parse(frame.data) as unknown;
    }
    expect(ending).toEqual({ reason: "reauthenticate", retry_ms: 250 });
    await sendMessage(t, session.id, "after");
    const after = await staying.collectUntil(isEnd);
    expect(after.filter((e) => e.type === "session.completed")).toHaveLength(1);
    expect((await relayStates(session.id)).filter((s) => s.feed)).toHaveLength(1);
    await staying.cancel();
  });
});
