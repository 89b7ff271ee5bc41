import { describe, expect, it } from "vitest";
import { readEventStream, StreamWentQuiet } from "../src/stream/sse-reader";

function body(chunks: string[], keepOpen = false): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (!keepOpen) controller.close();
    },
  });
}

describe("SSE reader", () => {
  it("parses frames split anywhere, with ids, names, comments and retry lines", async () => {
    const seen: [string | undefined, string | undefined, string][] = [];
    const stream = body([
      "retry: 1000\n\nevent: connected\ndata: {}\n\n: heartbeat\n\nid: event_1\nevent: turn.sta",
      'rted\ndata: {"a":1}\n',
      "\nevent: message.delta\ndata: {}\n\n",
    ]);
    await readEventStream(stream, (m) => seen.push([m.id, m.event, m.data]), 1000);
    expect(seen).toEqual([
      [undefined, "connected", "{}"],
      ["event_1", "turn.started", '{"a":1}'],
      [undefined, "message.delta", "{}"],
    ]);
  });

  it("gives up on a stream that sends nothing for too long", async () => {
    await expect(readEventStream(body([": heartbeat\n\n"], true), () => {}, 50)).rejects.toBeInstanceOf(StreamWentQuiet);
  });
});
