// A bare Worker: the least work a Worker can do per request, so the real app's numbers can be
// read as a fraction of what this runtime, machine and client manage at all.
//
//   GET /sse?n=N      → `retry:` then N events as fast as the stream takes them; the last one is
//                       `session.completed`, the rest `message.delta`, so the bench reads both
//                       streams with the same code.
//   GET /sse?wait=1   → `retry:`, then nothing until a POST /publish
//   GET /ws?wait=1    → a WebSocket upgrade, held by the Hub object; nothing until a POST /publish
//   POST /publish?n=N → sends N events (as above, each stamped with `ts` when published) to every
//                       waiting stream and socket, then closes them
//   anything else     → a small JSON body (the size of the real /health answer)
//
// Waiting SSE streams live in a module-level set. That only reaches every subscriber because
// local workerd runs this Worker in one isolate; on the edge it would need a Durable Object.
// WebSockets cannot be written from another request's handler at all, so one Durable Object
// (Hub, no storage) holds them, as the real Worker's session object would. It is the ceiling for
// fan-out: one trigger, pre-connected subscribers, no storage.

const encoder = new TextEncoder();
const MAX_EVENTS = 10_000;

function envelope(type, sequence) {
  return JSON.stringify({ id: `bare_${sequence}`, type, ts: new Date().toISOString(), sequence, data: { delta: "bench " } });
}

function frame(type, sequence) {
  return encoder.encode(`event: ${type}\ndata: ${envelope(type, sequence)}\n\n`);
}

const typeOf = (i, n) => (i === n ? "session.completed" : "message.delta");
const waiting = new Set();

function sseResponse(stream) {
  return new Response(stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
  });
}

function waitForPublish() {
  const subscriber = {};
  const stream = new ReadableStream({
    start(controller) {
      // A pending timer is what tells workerd this request is waiting, not hung.
      const heartbeat = setInterval(() => controller.enqueue(encoder.encode(": heartbeat\n\n")), 5000);
      subscriber.send = (n) => {
        clearInterval(heartbeat);
        for (let i = 1; i <= n; i += 1) controller.enqueue(frame(typeOf(i, n), i));
        controller.close();
      };
      subscriber.cancel = () => clearInterval(heartbeat);
      waiting.add(subscriber);
      controller.enqueue(encoder.encode("retry: 1000\n\n"));
    },
    cancel() {
      subscriber.cancel();
      waiting.delete(subscriber);
    },
  });
  return sseResponse(stream);
}

/** Sends `n` events to each waiting client in `set` and forgets them; returns how many there were. */
function publishTo(set, n) {
  const subscribers = [...set];
  set.clear();
  for (const subscriber of subscribers) subscriber.send(n);
  return subscribers.length;
}

/** The one object that holds the waiting WebSockets (no storage). */
export class Hub {
  #sockets = new Set();

  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/publish") return Response.json({ subscribers: publishTo(this.#sockets, eventCount(url)) });
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    const subscriber = {
      send(n) {
        for (let i = 1; i <= n; i += 1) server.send(envelope(typeOf(i, n), i));
        server.close(1000, "published");
      },
    };
    this.#sockets.add(subscriber);
    server.addEventListener("close", () => this.#sockets.delete(subscriber));
    return new Response(null, { status: 101, webSocket: client });
  }
}

const hub = (env) => env.HUB.get(env.HUB.idFromName("hub"));

async function publish(request, env, n) {
  const sockets = await (await hub(env).fetch(request)).json();
  return Response.json({ subscribers: publishTo(waiting, n) + sockets.subscribers });
}

function eventCount(url) {
  return Math.min(Math.max(Number.parseInt(url.searchParams.get("n") ?? "10", 10) || 1, 1), MAX_EVENTS);
}

function sse(n) {
  let sent = 0;
  const stream = new ReadableStream({
    start(controller) {
      controller.enqueue(encoder.encode("retry: 1000\n\n"));
    },
    // pull, not a loop in start: events go out at the pace the client reads, like the real stream.
    pull(controller) {
      sent += 1;
      controller.enqueue(frame(typeOf(sent, n), sent));
      if (sent >= n) controller.close();
    },
  });
  return sseResponse(stream);
}

export default {
  fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/sse") return url.searchParams.has("wait") ? waitForPublish() : sse(eventCount(url));
    if (url.pathname === "/ws" && request.headers.get("upgrade") === "websocket") return hub(env).fetch(request);
    if (url.pathname === "/publish" && request.method === "POST") return publish(request, env, eventCount(url));
    return Response.json({ status: "ok", version: "0.0.0", auth_mode: "none" });
  },
};
