// Scenario c: chat turns over the session SSE stream, and the bare stream they are compared with.
import { pool, summarize } from "./load.mjs";
import { openStream } from "./sse-client.mjs";

const TURN_TIMEOUT_MS = 30_000;

/**
 * Reads `stream` until `session.completed`, timing from `t0`. Returns the time to the first
 * `message.delta` (bare streams: the first event), to the first `tool.call`, to
 * `session.completed`, how many events the turn had and whether it failed; null fields when
 * the deadline passed first (or the turn had no such event).
 */
export async function readTurn(stream, t0, { firstType = "message.delta" } = {}) {
  const deadline = t0 + TURN_TIMEOUT_MS;
  const turn = {
    firstMs: null,
    toolCallMs: null,
    completedMs: null,
    firstCreatedMs: null,
    firstDeliveryMs: null,
    events: 0,
    failed: false,
  };
  for (;;) {
    const event = await stream.next(deadline);
    if (!event) return turn;
    turn.events += 1;
    if (turn.firstMs === null && (firstType === "*" || event.type === firstType)) {
      turn.firstMs = event.at - t0;
      // Where the time went: the event's own `ts` (the object's clock, same machine, 1 ms steps)
      // splits POST → arrival into "until the object made it" and "until it reached the client".
      const created = Date.parse(JSON.parse(event.data).ts);
      turn.firstCreatedMs = created - (performance.timeOrigin + t0);
      turn.firstDeliveryMs = performance.timeOrigin + event.at - created;
    }
    if (turn.toolCallMs === null && event.type === "tool.call") turn.toolCallMs = event.at - t0;
    if (event.type === "turn.failed" || event.type === "turn.cancelled") turn.failed = true;
    if (event.type === "session.completed") {
      turn.completedMs = event.at - t0;
      return turn;
    }
  }
}

/** Collects turn timings into first/completed summaries; a timed-out or failed turn is an error. */
function turnStats(turns, wallMs) {
  const ok = turns.filter((t) => t.completedMs !== null && t.firstMs !== null && !t.failed);
  const errors = turns.length - ok.length;
  return {
    first: summarize(
      ok.map((t) => t.firstMs),
      errors,
      wallMs,
    ),
    completed: summarize(
      ok.map((t) => t.completedMs),
      errors,
      wallMs,
    ),
    eventsPerTurn: ok.length > 0 ? Math.round(ok.reduce((a, t) => a + t.events, 0) / ok.length) : 0,
  };
}

/**
 * `turns` turns spread over `sessionCount` sessions that run at the same time, each session
 * one turn after another on one open stream (as a chat client would), after one warm-up turn each.
 * Each turn is timed from just before its POST.
 */
export async function chatTurns(api, agentId, { sessionCount, turns, timeLimitMs }) {
  const sessions = await Promise.all(Array.from({ length: sessionCount }, () => api.createSession(agentId)));
  const streams = await Promise.all(sessions.map((s) => openStream(api.sseUrl(s.id), api.auth)));
  try {
    await Promise.all(streams.map((s) => s.ready));
    const runTurn = async (index, label) => {
      const t0 = performance.now();
      const { status } = await api.sendMessage(sessions[index].id, `bench ${label}`);
      if (status !== 201) return { firstMs: null, completedMs: null, events: 0, failed: true };
      return readTurn(streams[index], t0);
    };
    const warm = await Promise.all(sessions.map((_, i) => runTurn(i, "warm-up")));
    if (warm.some((t) => t.completedMs === null)) throw new Error("a warm-up turn did not reach session.completed");

    const results = [];
    let next = 0;
    const started = performance.now();
    const deadline = started + timeLimitMs;
    // One loop per session: a session's turns are sequential, the sessions run side by side.
    await Promise.all(
      sessions.map(async (_, index) => {
        while (next < turns && performance.now() < deadline) {
          const label = `turn ${next}`;
          next += 1;
          const turn = await runTurn(index, label);
          results.push(turn);
          if (turn.completedMs === null) return; // the stream is out of step now; stop this session
        }
      }),
    );
    return turnStats(results, performance.now() - started);
  } finally {
    for (const s of streams) s.close();
  }
}

/** The bare counterpart: `count` GET /sse?n=`events` at `concurrency`, timed from the GET. */
export async function bareStreams(base, { events, count, concurrency, warmup, timeLimitMs }) {
  const once = async () => {
    const t0 = performance.now();
    try {
      const stream = await openStream(`${base}/sse?n=${events}`);
      const turn = await readTurn(stream, t0, { firstType: "*" });
      stream.close();
      return turn;
    } catch {
      return { firstMs: null, completedMs: null, events: 0, failed: true };
    }
  };
  await pool({ count: warmup, concurrency, timeLimitMs: 15_000 }, once);
  const results = [];
  const { wallMs } = await pool({ count, concurrency, timeLimitMs }, async () => results.push(await once()));
  return turnStats(results, wallMs);
}
