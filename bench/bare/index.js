// A bare Worker: the least work a Worker can do per request, so the real app's numbers can be
// read as a fraction of what this runtime, machine and client manage at all.
//
//   GET /anything   → a small JSON body (the size of the real /health answer)
//   GET /sse?n=N    → `retry:` then N events as fast as the stream takes them; the last one is
//                     `session.completed`, the rest `message.delta`, so the bench reads both
//                     streams with the same code.

const encoder = new TextEncoder();
const MAX_EVENTS = 10_000;

function frame(type, sequence) {
  const data = JSON.stringify({ type, sequence, data: { delta: "bench " } });
  return encoder.encode(`event: ${type}\ndata: ${data}\n\n`);
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
  return new Response(stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
  });
}

export default {
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/sse") {
      const n = Math.min(Math.max(Number.parseInt(url.searchParams.get("n") ?? "10", 10) || 1, 1), MAX_EVENTS);
      return sse(n);
    }
    return Response.json({ status: "ok", version: "0.0.0", auth_mode: "none" });
  },
};
