import { createParser, type EventSourceMessage } from "eventsource-parser";

/** Thrown when a stream sends nothing, not even a heartbeat, for too long: the network is gone. */
export class StreamWentQuiet extends Error {
  constructor(ms: number) {
    super(`No data for ${Math.round(ms / 1000)} s`);
    this.name = "StreamWentQuiet";
  }
}

/**
 * Reads an SSE body to its end, handing each message to `onMessage`. The server writes a
 * heartbeat comment every 15 s, so a body silent for `idleMs` is a dead connection that a
 * browser may otherwise keep open for minutes; it is cancelled and StreamWentQuiet thrown.
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  onMessage: (message: EventSourceMessage) => void,
  idleMs: number,
): Promise<void> {
  const parser = createParser({ onEvent: onMessage });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let quiet = false;
  let timer = 0;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      quiet = true;
      void reader.cancel();
    }, idleMs);
  };
  try {
    arm();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arm();
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    clearTimeout(timer);
  }
  if (quiet) throw new StreamWentQuiet(idleMs);
}
