// Scenario "fan-out": S subscribers on one session, over SSE or WebSocket. Single
// messages (one turn at a time) and a burst (messages posted back to back, ≥ 200 events per
// subscriber), with publish→receive times, deliveries against the stored log, order and
// completeness. The bare Worker's publish to S waiting clients is the ceiling.
import { cpuWindow } from "./cpu.mjs";
import { summarize } from "./load.mjs";
import { openMany, openSse, openWs } from "./subscribers.mjs";

const OPEN_CONCURRENCY = 25;

/** Waits until every subscriber satisfies `done`, bounded by `deadline`; returns how many did. */
async function all(subscribers, done, deadline) {
  const results = await Promise.all(subscribers.map((s) => s.until(done, deadline)));
  return results.filter(Boolean).length;
}

function windowStats(subscribers, name, expectedPerSubscriber, wallMs) {
  const latencies = subscribers.flatMap((s) => s.latencies.get(name) ?? []);
  const received = subscribers.reduce((n, s) => n + (s.storedIn.get(name) ?? 0), 0);
  const expected = expectedPerSubscriber * subscribers.length;
  return {
    ...summarize(latencies, 0, wallMs),
    received,
    expected,
    events: latencies.length,
    perSecond: wallMs > 0 ? (latencies.length / wallMs) * 1000 : Number.NaN,
  };
}

/** How to reach the real session's stream over each transport. */
function transportOf(api, kind) {
  if (kind === "sse") return (sessionId) => (s) => openSse(api.sseUrl(sessionId), api.auth, s);
  const key = api.auth.authorization.replace(/^Bearer /, "");
  const wsBase = api.base.replace(/^http/, "ws");
  // The key goes in the query (the contract's way for clients that cannot set headers) and no
  // subprotocol is offered: Node's WebSocket fails a handshake whose answer names none of those
  // offered, and a server may only name one that was offered.
  return (sessionId) => (s) => openWs(`${wsBase}/v1/sessions/${sessionId}/ws?access_token=${encodeURIComponent(key)}`, s);
}

/** Whether the WebSocket route exists: a plain GET to it answers 404 route_not_found while it does not. */
export async function wsRouteExists(api, sessionId) {
  const res = await fetch(`${api.base}/v1/sessions/${sessionId}/ws`, { headers: api.auth, signal: AbortSignal.timeout(10_000) });
  const body = await res.text();
  return !(res.status === 404 && body.includes("route_not_found"));
}

/**
 * One size on the real Worker: open S subscribers, a warm-up message, `rounds` single messages
 * (each waits for every subscriber's session.completed), then `burst` messages back to back.
 * Then every subscriber's stored sequences are checked against the session's stored log.
 */
export async function realFanout(api, agentId, { kind, subscribers: size, rounds, burst, timeLimitMs }) {
  const deadline = performance.now() + timeLimitMs;
  const session = await api.createSession(agentId);
  const open = transportOf(api, kind)(session.id);
  const { subscribers, close } = await openMany(size, OPEN_CONCURRENCY, open);
  try {
    let turns = 0;
    const post = async (text) => {
      const res = await api.sendMessage(session.id, text);
      if (res.status !== 201) throw new Error(`fan-out message answered ${res.status}: ${res.text.slice(0, 200)}`);
      turns += 1;
    };
    const settled = (s) => s.terminals >= turns && s.idle;
    const stored = async () => (await api.allEvents(session.id)).length;

    await post("fan-out warm-up");
    await all(subscribers, settled, deadline);
    const windows = {};
    for (const [name, messages] of [
      ["single", rounds],
      ["burst", burst],
    ]) {
      const before = await stored();
      for (const s of subscribers) s.window = name;
      const cpu = cpuWindow();
      const t0 = performance.now();
      if (name === "single") {
        for (let i = 0; i < messages; i += 1) {
          await post(`fan-out single ${i}`);
          await all(subscribers, settled, deadline);
        }
      } else {
        for (let i = 0; i < messages; i += 1) await post(`fan-out burst ${i}`);
      }
      const reached = await all(subscribers, settled, deadline);
      const wallMs = performance.now() - t0;
      const usage = cpu();
      for (const s of subscribers) s.window = null;
      windows[name] = { ...windowStats(subscribers, name, (await stored()) - before, wallMs), cpu: usage, reached, messages };
    }
    const log = await api.allEvents(session.id);
    return { size, kind, windows, checks: checkAgainstLog(subscribers, log) };
  } finally {
    close();
  }
}

/** In order (stored sequences strictly increasing) and complete (every stored event, each once), per subscriber. */
function checkAgainstLog(subscribers, log) {
  const sequences = log.map((e) => e.sequence);
  let inOrder = 0;
  let complete = 0;
  for (const s of subscribers) {
    if (s.outOfOrder === 0) inOrder += 1;
    if (s.sequences.length === sequences.length && s.sequences.every((q, i) => q === sequences[i])) complete += 1;
  }
  return {
    subscribers: subscribers.length,
    inOrder,
    complete,
    storedEvents: sequences.length,
    deltasPerSubscriber: Math.round(subscribers.reduce((n, s) => n + s.deltas, 0) / subscribers.length),
  };
}

/**
 * The ceiling: S clients wait on the bare Worker (SSE or WebSocket), then one POST /publish
 * sends each `events` events; publish→receive from the events' own `ts`, as for the real ones.
 */
export async function bareFanout(base, { kind, subscribers: size, events, timeLimitMs }) {
  const deadline = performance.now() + timeLimitMs;
  const open = kind === "sse" ? (s) => openSse(`${base}/sse?wait=1`, {}, s) : (s) => openWs(`${base.replace(/^http/, "ws")}/ws?wait=1`, s);
  const { subscribers, close } = await openMany(size, OPEN_CONCURRENCY, open);
  try {
    for (const s of subscribers) s.window = "publish";
    const cpu = cpuWindow();
    const t0 = performance.now();
    const res = await fetch(`${base}/publish?n=${events}`, { method: "POST", signal: AbortSignal.timeout(30_000) });
    const { subscribers: reached } = await res.json();
    if (reached !== size) throw new Error(`bare publish reached ${reached} of ${size} subscribers`);
    const done = await all(subscribers, (s) => s.idle, deadline);
    return {
      ...windowStats(subscribers, "publish", 1, performance.now() - t0),
      cpu: cpu(),
      reached: done,
      received: subscribers.reduce((n, s) => n + s.deltas + s.sequences.length, 0),
      expected: size * events,
    };
  } finally {
    close();
  }
}
