// A minimal SSE reader for the bench: events are stamped with the time their bytes arrived,
// so a consumer that looks at them later still measures network arrival, not its own delay.
import { createParser } from "eventsource-parser";

class EventStream {
  #queue = [];
  #wake = null;
  #ended = false;
  #abort;
  /** When the chunk being parsed arrived: the stamp of every event in it. */
  #chunkAt = 0;
  /** Resolves when the server's `retry:` line (its first frame) has arrived. */
  ready;

  constructor(body, abort) {
    this.#abort = abort;
    let markReady;
    this.ready = new Promise((resolve) => (markReady = resolve));
    const parser = createParser({
      onRetry: () => markReady(),
      // Only the session's events: not the `connected` frame that newer trees send first.
      onEvent: (event) => {
        if (event.event !== "connected") this.#push({ type: event.event ?? "message", data: event.data, at: this.#chunkAt });
      },
    });
    void this.#pump(body, parser).finally(() => {
      this.#ended = true;
      markReady();
      this.#wakeUp();
    });
  }

  async #pump(body, parser) {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) {
        this.#chunkAt = performance.now();
        parser.feed(decoder.decode(chunk, { stream: true }));
      }
    } catch {
      // aborted by close(), or the server went away: both end the stream
    }
  }

  #push(event) {
    this.#queue.push(event);
    this.#wakeUp();
  }

  #wakeUp() {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** The next event, or null when the stream ended or `deadline` (performance.now() ms) passed. */
  async next(deadline) {
    while (this.#queue.length === 0) {
      if (this.#ended) return null;
      const left = deadline - performance.now();
      if (left <= 0) return null;
      let timer;
      await new Promise((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    return this.#queue.shift();
  }

  close() {
    this.#abort.abort();
  }
}

/** Opens an SSE stream; throws on a non-200 answer. */
export async function openStream(url, headers = {}) {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel();
    throw new Error(`SSE ${url} answered ${res.status}`);
  }
  return new EventStream(res.body, abort);
}
