// A bare Worker: the least work a Worker can do per request, so the real app's numbers can be
// read as a fraction of what this runtime, machine and client manage at all.
//
//   GET /sse?n=N    → `retry:` then N events as fast as the stream takes them; the last one is
//                     `session.completed`, the rest `message.delta`, so the bench reads both
//                     streams with the same code.
//   GET /sse?wait=1 → `retry:`, then nothing until a POST /publish
//   POST /publish?n=N → sends N events (as above) to every waiting stream and closes them
//   anything else   → a small JSON body (the size of the real /health answer)
//
// The waiting streams live in a module-level set. That only reaches every subscriber because
// local workerd runs this Worker in one isolate; on the edge it would need a Durable Object.
// It is the ceiling for fan-out: one trigger, pre-connected subscribers, no storage.

const encoder = new TextEncoder();
const MAX_EVENTS = 10_000;

function frame(type, sequence) {
  const data = JSON.stringify({ type, sequence, data: { delta: "bench " } });
  return encoder.encode(`event: ${type}\ndata: ${data}\n\n`);
}

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
      subscriber.controller = controller;
      // A pending timer is what tells workerd this request is waiting, not hung.
      subscriber.heartbeat = setInterval(() => controller.enqueue(encoder.encode(": heartbeat\n\n")), 5000);
      waiting.add(subscriber);
      controller.enqueue(encoder.encode("retry: 1000\n\n"));
    },
    cancel() {
      clearInterval(subscriber.heartbeat);
      waiting.delete(subscriber);
    },
  });
  return sseResponse(stream);
}

function publish(n) {
  const subscribers = [...waiting];
  waiting.clear();
  for (const { controller, heartbeat } of subscribers) {
    clearInterval(heartbeat);
    for (let i = 1; i <= n; i += 1) controller.enqueue(frame(i === n ? "session.completed" : "message.delta", i));
    controller.close();
  }
  return Response.json({ subscribers: subscribers.length });
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
      controller.enqueue(frame(sent === n ? "session.completed" : "message.delta", sent));
      if (sent >= n) controller.close();
    },
  });
  return sseResponse(stream);
}

export default {
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/sse") return url.searchParams.has("wait") ? waitForPublish() : sse(eventCount(url));
    if (url.pathname === "/publish" && request.method === "POST") return publish(eventCount(url));
    return Response.json({ status: "ok", version: "0.0.0", auth_mode: "none" });
  },
};
