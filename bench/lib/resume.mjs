// Scenario "resume at 10,000 events": a session whose log holds 10,000 stored events,
// resumed over SSE with `since_id` near its start, middle and end (time to receive everything
// up to the head), and paged as JSON (`limit=1000`) from the same points. Runs on the metered
// build (for its seeding route) with no D1 delay; resuming makes no D1 call of its own.
import { timedRequest } from "./api.mjs";
import { summarize } from "./load.mjs";
import { openStream } from "./sse-client.mjs";
import { readTurn } from "./turns.mjs";

/**
 * Fills the log up to `total` stored events through the metered build's bench-only route (a real
 * turn's events first, the rest written straight into the object's storage by
 * bench/d1/seed-events.ts), then evicts the object, so it starts again and reads its head from
 * storage. Returns the ids near the start, the middle and the end.
 */
async function seedLog(worker, sessionId, total) {
  const at = { start: 10, middle: Math.round(total / 2), end: total - 10 };
  const query = new URLSearchParams({ session_id: sessionId, total: String(total) });
  for (const sequence of Object.values(at)) query.append("at", String(sequence));
  const res = await fetch(`${worker.base}/__bench/seed-events?${query}`, { method: "POST", signal: AbortSignal.timeout(60_000) });
  if (res.status !== 200) throw new Error(`seeding answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  const ids = await res.json();
  await worker.mf.unsafeEvictDurableObject(worker.name, "SessionObject", { name: sessionId });
  return Object.fromEntries(Object.entries(at).map(([name, sequence]) => [name, { sequence, id: ids[sequence] }]));
}

/** Opens the stream after `id` and reads until the event at `head`; times to the first event and to the head. */
async function resumeOnce(api, sessionId, id, head) {
  const t0 = performance.now();
  const stream = await openStream(`${api.sseUrl(sessionId)}?since_id=${id}`, api.auth);
  try {
    let first = null;
    let received = 0;
    const deadline = t0 + 30_000;
    for (;;) {
      const event = await stream.next(deadline);
      if (!event) return { firstMs: first, headMs: null, received };
      first ??= event.at - t0;
      received += 1;
      if (JSON.parse(event.data).sequence >= head) return { firstMs: first, headMs: event.at - t0, received };
    }
  } finally {
    stream.close();
  }
}

/** The 10,000-event session, resumed `repeats` times from each point (after one resume from the start on the freshly started object). */
export async function resumeAt(api, worker, agentId, { total, repeats }) {
  const session = await api.createSession(agentId);
  const live = await openStream(api.sseUrl(session.id), api.auth);
  await live.ready;
  const t0 = performance.now();
  await api.sendMessage(session.id, "A real turn before the seeded history.");
  await readTurn(live, t0);
  live.close();
  const points = await seedLog(worker, session.id, total);
  const coldStart = await resumeOnce(api, session.id, points.start.id, total);
  const rows = [];
  for (const [name, point] of Object.entries(points)) {
    const sse = [];
    const pages = [];
    for (let i = 0; i < repeats; i += 1) {
      sse.push(await resumeOnce(api, session.id, point.id, total));
      const page = await timedRequest(`${api.base}/v1/sessions/${session.id}/events?since_id=${point.id}&limit=1000`, {
        headers: { ...api.auth, accept: "application/json" },
      });
      pages.push({ ...page, size: page.status === 200 ? JSON.parse(page.text).data.length : 0 });
    }
    const okSse = sse.filter((r) => r.headMs !== null && r.received === total - point.sequence);
    const okPages = pages.filter((p) => p.status === 200 && p.size === Math.min(1000, total - point.sequence));
    rows.push({
      point: name,
      sequence: point.sequence,
      events: total - point.sequence,
      first: summarize(
        okSse.map((r) => r.firstMs),
        sse.length - okSse.length,
        Number.NaN,
      ),
      head: summarize(
        okSse.map((r) => r.headMs),
        sse.length - okSse.length,
        Number.NaN,
      ),
      page: summarize(
        okPages.map((p) => p.ms),
        pages.length - okPages.length,
        Number.NaN,
      ),
      pageSize: Math.min(1000, total - point.sequence),
    });
  }
  return { total, repeats, coldStart, rows };
}
