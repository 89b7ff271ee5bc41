import { describe, expect, it } from "vitest";
import type { StreamSettings } from "../../src/lib/stream-settings";
import { STREAM } from "../../src/session/rpc";
import { type FeedFrame, SharedFeed } from "../../src/streaming/shared-feed";
import { relaySse } from "../../src/streaming/sse-relay";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const settings: StreamSettings = {
  heartbeatMs: 60_000,
  cycleMs: 600_000,
  maxBufferedBytes: 1024 * 1024,
  maxStreams: 10,
  maxStreamsPerCaller: 10,
  sharedRelayFrom: 0,
};

/** A frame whose every filter key wants one SSE event, `id: n:<n>`. */
const frame = (n: number): FeedFrame => ({ epoch: "e1", n, bytesFor: () => encoder.encode(`id: n:${n}\ndata: {}\n\n`) });

/** A `joined` page: the relay's live events are the feed's frames after `n`. */
function joined(n: number): Uint8Array {
  const header = encoder.encode(`${JSON.stringify({ e: "e1", n, k: "all" })}\n`);
  const out = new Uint8Array(1 + header.length);
  out[0] = STREAM.joined;
  out.set(header, 1);
  return out;
}

/** A relay of `feed` over a real WebSocket pair, joined after frame `n`; returns its SSE text as it arrives. */
async function relayJoinedAt(feed: SharedFeed, n: number) {
  const [objectEnd, relayEnd] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  objectEnd.accept();
  const reader = relaySse(relayEnd, settings, { feed, expiresAt: null }).getReader();
  objectEnd.send(joined(n));
  let text = "";
  const readUntil = async (needle: string) => {
    while (!text.includes(needle)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    return text;
  };
  return { readUntil, ids: () => [...text.matchAll(/^id: (.*)$/gm)].map((m) => m[1]), cancel: () => reader.cancel() };
}

describe("relaySse on a shared feed", () => {
  it("writes a frame it already got when it joined once, though the hand-out brings it again", async () => {
    const feed = new SharedFeed();
    feed.receive(frame(1));
    feed.receive(frame(2));
    const relay = await relayJoinedAt(feed, 1);
    await relay.readUntil("id: n:2");
    feed.receive(frame(3));
    await relay.readUntil("id: n:3");
    expect(relay.ids()).toEqual(["n:2", "n:3"]);
    await relay.cancel();
  });

  it("writes the frames before a gap in its feed, then ends with server_restart (its client resumes from the last one)", async () => {
    const feed = new SharedFeed();
    feed.receive(frame(1));
    const relay = await relayJoinedAt(feed, 1);
    await relay.readUntil("event: connected");
    feed.receive(frame(2));
    feed.receive(frame(4)); // 3 never comes: its carrier closed
    feed.carrierClosed();
    const text = await relay.readUntil("event: disconnecting");
    expect(relay.ids()).toEqual(["n:2"]);
    expect(text).toContain('"reason":"server_restart"');
    expect(text.indexOf("id: n:2")).toBeLessThan(text.indexOf("event: disconnecting"));
    await relay.cancel();
  });
});
