// Scenario e: webhooks through the local queue (Miniflare's queue broker, as `wrangler dev` runs
// it). A receiver on loopback verifies every delivery with `standardwebhooks`, as a user's would.
//   throughput: a burst of test events (POST /v1/webhooks/{id}/test, concurrency 16): verified
//     deliveries per second, from the first POST to the last arrival;
//   delay: turns one after another on sessions with an open SSE stream: from the client reading
//     `session.completed` to the receiver reading that turn's `session.idle`.
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";
import { percentile, pool } from "./load.mjs";
import { openStream } from "./sse-client.mjs";
import { readTurn } from "./turns.mjs";

const WAIT_MS = 60_000;

/** A receiver on 127.0.0.1: verifies with `secret` (set once known), stamps each arrival with performance.now(). */
async function startReceiver() {
  const state = { verifier: null, arrivals: [], refused: 0, waiters: [] };
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const at = performance.now();
    const body = Buffer.concat(chunks).toString("utf8");
    try {
      const event = state.verifier.verify(body, req.headers);
      state.arrivals.push({ at, id: req.headers["webhook-id"], event });
      res.writeHead(204).end();
    } catch {
      state.refused += 1;
      res.writeHead(401).end();
    }
    for (const w of state.waiters.splice(0)) w();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hooks`,
    state,
    useSecret: (secret) => (state.verifier = new Webhook(secret)),
    /** Resolves once `done()` holds (checked at every arrival), or rejects after WAIT_MS. */
    async until(done) {
      const deadline = performance.now() + WAIT_MS;
      while (!done()) {
        if (performance.now() > deadline) throw new Error(`the receiver got ${state.arrivals.length} deliveries (${state.refused} refused) and not what was expected`);
        await new Promise((resolve) => {
          state.waiters.push(resolve);
          setTimeout(resolve, 250);
        });
      }
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: values.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN };
};

/**
 * Runs both measurements against the real Worker (which must allow private webhook URLs).
 * `burst`: test events in the throughput run; `turns`: turns in the delay run, over `sessions`.
 */
export async function webhookScenario(api, agentId, { burst, turns, sessions: sessionCount }) {
  const receiver = await startReceiver();
  try {
    const created = await api.call("POST", "/v1/webhooks", { url: receiver.url, event_types: ["session.idle"] }, 201);
    receiver.useSecret(created.secret);

    // Throughput: a burst of test events.
    const sent = [];
    const t0 = performance.now();
    await pool({ count: burst, concurrency: 16, timeLimitMs: WAIT_MS }, async () => {
      sent.push((await api.call("POST", `/v1/webhooks/${created.id}/test`, undefined, 202)).message_id);
    });
    const wanted = new Set(sent);
    await receiver.until(() => receiver.state.arrivals.filter((a) => wanted.has(a.id)).length >= wanted.size);
    const arrivals = receiver.state.arrivals.filter((a) => wanted.has(a.id));
    const lastAt = Math.max(...arrivals.map((a) => a.at));
    const throughput = { deliveries: arrivals.length, seconds: (lastAt - t0) / 1000, perSecond: (arrivals.length / (lastAt - t0)) * 1000, refused: receiver.state.refused };

    // Delay: session.completed at the client → session.idle at the receiver.
    const sessions = await Promise.all(Array.from({ length: sessionCount }, () => api.createSession(agentId)));
    const streams = await Promise.all(sessions.map((s) => openStream(api.sseUrl(s.id), api.auth)));
    const delays = [];
    try {
      await Promise.all(streams.map((s) => s.ready));
      await pool({ count: turns, concurrency: sessionCount, timeLimitMs: WAIT_MS * 2 }, async (i) => {
        const index = i % sessionCount;
        const sessionId = sessions[index].id;
        const before = receiver.state.arrivals.filter((a) => a.event.data.session_id === sessionId).length;
        const start = performance.now();
        const { status } = await api.sendMessage(sessionId, `webhook bench ${i}`);
        if (status !== 201) throw new Error(`message answered ${status}`);
        const turn = await readTurn(streams[index], start);
        if (turn.completedMs === null) throw new Error("a turn did not complete");
        const completedAt = start + turn.completedMs;
        await receiver.until(() => receiver.state.arrivals.filter((a) => a.event.data.session_id === sessionId).length > before);
        const idle = receiver.state.arrivals.filter((a) => a.event.data.session_id === sessionId)[before];
        delays.push(idle.at - completedAt);
      });
    } finally {
      for (const s of streams) s.close();
    }
    return { throughput, delay: stats(delays), refused: receiver.state.refused };
  } finally {
    await receiver.close();
  }
}
