// Lean subscribers for the fan-out scenario: hundreds of SSE streams (node:http, no per-stream
// WHATWG streams) or WebSockets (lib/raw-ws.mjs, over node:http too) in one process. Each
// records what it needs and no more: the stored sequences in order, and publish→receive times
// by window.
import http from "node:http";
import { openRawWs } from "./raw-ws.mjs";

/** Every stream gets its own connection; no pool limit in the way of 1,000 of them. */
const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

/** Wall-clock ms with sub-ms precision, on the same clock as the envelopes' `ts` (same machine). */
const wallNow = () => performance.timeOrigin + performance.now();

const TERMINAL = new Set(["turn.completed", "turn.failed", "turn.cancelled"]);

/** What one subscriber received, whatever the transport. */
class Subscriber {
  /** Stored events' sequences, in arrival order. */
  sequences = [];
  outOfOrder = 0;
  deltas = 0;
  terminals = 0;
  /** `session.completed` after the latest terminal event: the session went idle. */
  idle = false;
  ended = false;
  /** The window that arriving events are counted in (null: not measured, e.g. replay). */
  window = null;
  /** window name → publish→receive ms of every event received in it */
  latencies = new Map();
  /** window name → stored events received in it */
  storedIn = new Map();
  #waiters = [];

  /** Takes one frame's JSON; anything but an event envelope (a `connected` frame, a pong) is ignored. */
  receive(json, receivedAt) {
    let envelope;
    try {
      envelope = JSON.parse(json);
    } catch {
      return;
    }
    if (typeof envelope?.sequence !== "number" || typeof envelope.ts !== "string") return;
    if (this.window !== null) {
      const list = this.latencies.get(this.window) ?? [];
      list.push(receivedAt - Date.parse(envelope.ts));
      this.latencies.set(this.window, list);
    }
    if (envelope.type === "message.delta") this.deltas += 1;
    else {
      const last = this.sequences.at(-1) ?? 0;
      if (envelope.sequence <= last) this.outOfOrder += 1;
      this.sequences.push(envelope.sequence);
      if (this.window !== null) this.storedIn.set(this.window, (this.storedIn.get(this.window) ?? 0) + 1);
    }
    if (TERMINAL.has(envelope.type)) {
      this.terminals += 1;
      this.idle = false;
    }
    if (envelope.type === "session.completed") this.idle = true;
    this.#wake();
  }

  end() {
    this.ended = true;
    this.#wake();
  }

  /** Resolves when `done(this)` holds, the stream ended, or `deadline` (performance.now()) passed. */
  until(done, deadline) {
    if (done(this) || this.ended) return Promise.resolve(done(this));
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(), Math.max(0, deadline - performance.now()));
      const waiter = () => {
        if (done(this) || this.ended) finish();
      };
      const finish = () => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(done(this));
      };
      this.#waiters.push(waiter);
    });
  }

  #wake() {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/** Opens an SSE stream into `subscriber`; resolves with a close function once `retry:` arrived. */
export function openSse(url, headers, subscriber) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { accept: "text/event-stream", ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`SSE ${url} answered ${res.statusCode}`));
        return;
      }
      res.setEncoding("utf8");
      let buffer = "";
      res.on("data", (chunk) => {
        const at = wallNow();
        buffer += chunk;
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith("retry:")) resolve(() => req.destroy());
          const data = block.split("\n").find((line) => line.startsWith("data: "));
          if (data) subscriber.receive(data.slice(6), at);
        }
      });
      res.on("close", () => subscriber.end());
    });
    req.on("error", (err) => {
      subscriber.end();
      reject(err);
    });
    req.setTimeout(0);
  });
}

/** Opens a WebSocket into `subscriber` (lib/raw-ws.mjs); resolves with a close function once it is open. */
export function openWs(url, subscriber) {
  return openRawWs(url, {
    agent,
    now: wallNow,
    onText: (text, at) => subscriber.receive(text, at),
    onEnd: () => subscriber.end(),
  });
}

/** Opens `count` subscribers, `concurrency` at a time; every one or an error. */
export async function openMany(count, concurrency, open) {
  const subscribers = Array.from({ length: count }, () => new Subscriber());
  const closers = [];
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, count) }, async () => {
        while (next < count) {
          const subscriber = subscribers[next];
          next += 1;
          closers.push(await open(subscriber));
        }
      }),
    );
  } catch (err) {
    for (const close of closers) close();
    throw err;
  }
  return {
    subscribers,
    close: () => {
      for (const close of closers) close();
    },
  };
}
