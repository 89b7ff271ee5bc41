// Scenario e: webhooks through the local queue (Miniflare's queue broker, as `wrangler dev` runs
// it). A receiver on loopback verifies every delivery with `standardwebhooks`, as a user's would.
//   throughput: each turn's session.idle fanned out to many endpoints: verified deliveries per
//     second at the receiver, from the first arrival to the last;
//   delay: turns one after another on sessions with an open SSE stream: from the client reading
//     `session.completed` to the receiver reading that turn's `session.idle`.
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";
import { timedRequest } from "./api.mjs";
import { percentile, pool } from "./load.mjs";
import { openStream } from "./sse-client.mjs";
import { readTurn } from "./turns.mjs";

const WAIT_MS = 60_000;

/** A receiver on 127.0.0.1: `/hooks/<n>` verifies with endpoint n's secret (set once known); each arrival stamped with performance.now(). */
async function startReceiver() {
  const state = { verifiers: new Map(), arrivals: [], refused: 0, waiters: [] };
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const at = performance.now();
    const body = Buffer.concat(chunks).toString("utf8");
    const endpoint = req.url.split("/").pop();
    try {
      const event = state.verifiers.get(endpoint).verify(body, req.headers);
      state.arrivals.push({ at, endpoint, id: req.headers["webhook-id"], event });
      res.writeHead(204).end();
    } catch {
      state.refused += 1;
      res.writeHead(401).end();
    }
    for (const w of state.waiters.splice(0)) w();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    urlFor: (n) => `http://127.0.0.1:${server.address().port}/hooks/${n}`,
    state,
    useSecret: (n, secret) => state.verifiers.set(String(n), new Webhook(secret)),
    /** Resolves once `done()` holds (checked at every arrival), or rejects after WAIT_MS. */
    async until(done) {
      const deadline = performance.now() + WAIT_MS;
      while (!done()) {
        if (performance.now() > deadline)
          throw new Error(`the receiver got ${state.arrivals.length} deliveries (${state.refused} refused) and not what was expected`);
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

/** Registers endpoint n at the receiver for `session.idle`; returns its id. */
async function register(api, receiver, n) {
  const created = await api.call("POST", "/v1/webhooks", { url: receiver.urlFor(n), event_types: ["session.idle"] }, 201);
  receiver.useSecret(n, created.secret);
  return created.id;
}

/**
 * Runs both measurements against the real Worker (which must allow private webhook URLs).
 * Throughput: `endpoints` endpoints, `fanoutTurns` turns at once on as many sessions; each turn's
 * `session.idle` becomes one delivery per endpoint. Delay: then only the first endpoint is
 * kept, and `turns` turns run over `sessions` sessions.
 */
export async function webhookScenario(api, agentId, { endpoints, fanoutTurns, turns, sessions: sessionCount }) {
  const receiver = await startReceiver();
  try {
    // Throughput: every turn's session.idle fans out to every endpoint.
    const ids = [];
    for (let n = 0; n < endpoints; n += 1) ids.push(await register(api, receiver, n));
    // The turns run side by side, each on its own session, so the queue has a backlog to work through.
    const fanSessions = await Promise.all(Array.from({ length: fanoutTurns }, () => api.createSession(agentId)));
    await Promise.all(
      fanSessions.map(async (session, i) => {
        const { status } = await api.sendMessage(session.id, `fan-out ${i}`);
        if (status !== 201) throw new Error(`message answered ${status}`);
      }),
    );
    const expected = endpoints * fanoutTurns;
    await receiver.until(() => receiver.state.arrivals.length >= expected);
    const times = receiver.state.arrivals.map((a) => a.at);
    const spanMs = Math.max(...times) - Math.min(...times);
    const throughput = {
      deliveries: receiver.state.arrivals.length,
      endpoints,
      turns: fanoutTurns,
      seconds: spanMs / 1000,
      perSecond: (receiver.state.arrivals.length / spanMs) * 1000,
    };
    for (const id of ids.slice(1)) {
      const { status } = await timedRequest(`${api.base}/v1/webhooks/${id}`, { method: "DELETE", headers: api.auth });
      if (status !== 204) throw new Error(`DELETE webhook answered ${status}`);
    }
    receiver.state.arrivals.length = 0;

    // Delay: session.completed at the client → session.idle at the receiver (endpoint 0 only now).
    const sessions = await Promise.all(Array.from({ length: sessionCount }, () => api.createSession(agentId)));
    const streams = await Promise.all(sessions.map((s) => openStream(api.sseUrl(s.id), api.auth)));
    const delays = [];
    try {
      await Promise.all(streams.map((s) => s.ready));
      await pool({ count: turns, concurrency: sessionCount, timeLimitMs: WAIT_MS * 2 }, async (i) => {
        const index = i % sessionCount;
        const sessionId = sessions[index].id;
        const mine = () => receiver.state.arrivals.filter((a) => a.event.data.session_id === sessionId);
        const before = mine().length;
        const start = performance.now();
        const { status } = await api.sendMessage(sessionId, `webhook bench ${i}`);
        if (status !== 201) throw new Error(`message answered ${status}`);
        const turn = await readTurn(streams[index], start);
        if (turn.completedMs === null) throw new Error("a turn did not complete");
        await receiver.until(() => mine().length > before);
        delays.push(mine()[before].at - (start + turn.completedMs));
      });
    } finally {
      for (const s of streams) s.close();
    }
    return { throughput, delay: stats(delays), refused: receiver.state.refused };
  } finally {
    await receiver.close();
  }
}
