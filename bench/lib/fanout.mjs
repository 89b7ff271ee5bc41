// Scenario d: many subscribers on one session, one message, time until each sees the turn end.
import { summarize } from "./load.mjs";
import { openStream } from "./sse-client.mjs";
import { readTurn } from "./turns.mjs";

/**
 * Per-subscriber latencies over `rounds` measured rounds (after one warm-up round), and the
 * event deliveries per second (subscribers × events of the round / the round's slowest subscriber).
 */
function fanoutStats(rounds) {
  const turns = rounds.flatMap((r) => r.turns);
  const ok = turns.filter((t) => t.completedMs !== null && !t.failed);
  const deliveries = rounds.reduce((a, r) => a + r.turns.reduce((b, t) => b + (t.completedMs === null ? 0 : t.events), 0), 0);
  const busyMs = rounds.reduce((a, r) => a + Math.max(0, ...r.turns.map((t) => t.completedMs ?? 0)), 0);
  const stats = summarize(ok.map((t) => t.completedMs), turns.length - ok.length, busyMs);
  return { ...stats, perSecond: busyMs > 0 ? (deliveries / busyMs) * 1000 : Number.NaN };
}

/** `subscribers` streams on one fresh session; each round POSTs one message and times every subscriber's `session.completed`. */
export async function realFanout(api, agentId, { subscribers, rounds }) {
  const session = await api.createSession(agentId);
  const streams = [];
  try {
    for (let i = 0; i < subscribers; i += 1) streams.push(await openStream(api.sseUrl(session.id), api.auth));
    await Promise.all(streams.map((s) => s.ready));
    const measured = [];
    for (let round = 0; round <= rounds; round += 1) {
      const t0 = performance.now();
      const status = await api.sendMessage(session.id, `fan-out round ${round}`);
      if (status !== 201) throw new Error(`fan-out message answered ${status}`);
      const turns = await Promise.all(streams.map((s) => readTurn(s, t0)));
      if (round > 0) measured.push({ turns });
    }
    return fanoutStats(measured);
  } finally {
    for (const s of streams) s.close();
  }
}

/**
 * The bare counterpart, shaped the same way: `subscribers` streams wait on the bare Worker,
 * then each round one POST /publish sends them `events` events; timed from the POST.
 */
export async function bareFanout(base, { subscribers, rounds, events }) {
  const measured = [];
  for (let round = 0; round <= rounds; round += 1) {
    const streams = [];
    try {
      for (let i = 0; i < subscribers; i += 1) streams.push(await openStream(`${base}/sse?wait=1`));
      await Promise.all(streams.map((s) => s.ready));
      const t0 = performance.now();
      const res = await fetch(`${base}/publish?n=${events}`, { method: "POST", signal: AbortSignal.timeout(15_000) });
      const { subscribers: reached } = await res.json();
      if (reached !== subscribers) throw new Error(`bare publish reached ${reached} of ${subscribers} subscribers`);
      const turns = await Promise.all(streams.map((s) => readTurn(s, t0, { firstType: "*" })));
      if (round > 0) measured.push({ turns });
    } finally {
      for (const s of streams) s.close();
    }
  }
  return fanoutStats(measured);
}
