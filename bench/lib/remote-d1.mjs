// Scenario "remote D1": the metered Worker delays every D1 call; the turn and request
// timings of the table, and the D1 round trips of each route and each turn.
import { timedRequest } from "./api.mjs";
import { countCalls, setLatency, tally } from "./d1-counts.mjs";
import { summarize } from "./load.mjs";
import { openStream } from "./sse-client.mjs";
import { readTurn } from "./turns.mjs";

const PLAIN_TEXT = "Hello, bench.";
/** llmsim calls get_current_time for this when the agent has the current_time capability. */
const TOOL_TEXT = "What time is it?";

/** A session with one open stream and one warm-up turn. */
async function openSession(api, agentId, text) {
  const session = await api.createSession(agentId);
  const stream = await openStream(api.sseUrl(session.id), api.auth);
  await stream.ready;
  const warm = await turn(api, session.id, stream, text);
  if (warm.completedMs === null || warm.failed) throw new Error(`the warm-up turn of ${session.id} did not complete`);
  return { id: session.id, stream };
}

/** One turn timed from just before its POST; `mark` (counting runs) is told when the 201 and session.completed arrive. */
async function turn(api, sessionId, stream, text, mark = async () => undefined) {
  const t0 = performance.now();
  const posted = await api.sendMessage(sessionId, text);
  if (posted.status !== 201) return { postMs: null, completedMs: null, failed: true };
  await mark("post");
  const result = await readTurn(stream, t0);
  await mark("turn");
  return { ...result, postMs: posted.ms };
}

/** `count` timed GETs (after 2 unmeasured), one after another: latency, not throughput. */
async function timedGets(url, headers, count) {
  const latencies = [];
  let errors = 0;
  const started = performance.now();
  for (let i = 0; i < count + 2; i += 1) {
    const res = await timedRequest(url, { headers });
    if (i < 2) continue;
    if (res.status === 200) latencies.push(res.ms);
    else errors += 1;
  }
  return summarize(latencies, errors, performance.now() - started);
}

function turnStats(turns, field) {
  const ok = turns.filter((t) => !t.failed && t.completedMs !== null && t[field] !== null);
  return summarize(
    ok.map((t) => t[field]),
    turns.length - ok.length,
    Number.NaN,
  );
}

/**
 * Timings at one latency: `turns` plain and tool turns (each on its own session and stream),
 * `gets` of each single-resource and list GET, `coldKeys` first uses of API keys taken from
 * `spareKeys` (seeded, never used before: no isolate has their principal cached).
 */
export async function d1Timings(api, agents, { latencyMs, turns, gets, coldKeys, spareKeys }) {
  await setLatency(api.base, latencyMs);
  const plain = await openSession(api, agents.plain.id, PLAIN_TEXT);
  const tool = await openSession(api, agents.tool.id, TOOL_TEXT);
  try {
    const plainTurns = [];
    for (let i = 0; i < turns; i += 1) plainTurns.push(await turn(api, plain.id, plain.stream, PLAIN_TEXT));
    const toolTurns = [];
    for (let i = 0; i < turns; i += 1) toolTurns.push(await turn(api, tool.id, tool.stream, TOOL_TEXT));
    const keys = spareKeys.splice(0, coldKeys);
    const coldAgent = [];
    for (const key of keys)
      coldAgent.push(await timedRequest(`${api.base}/v1/agents/${agents.plain.id}`, { headers: { authorization: `Bearer ${key}` } }));
    const creates = [];
    for (let i = 0; i < gets; i += 1)
      creates.push(
        await timedRequest(`${api.base}/v1/sessions`, { method: "POST", headers: api.auth, body: { agent_id: agents.plain.id } }),
      );
    const ok = (list, status) =>
      summarize(
        list.filter((r) => r.status === status).map((r) => r.ms),
        list.filter((r) => r.status !== status).length,
        Number.NaN,
      );
    return {
      "POST → first message.delta (plain)": turnStats(plainTurns, "firstMs"),
      "↳ POST → delta made (its ts)": turnStats(plainTurns, "firstCreatedMs"),
      "↳ delta made → received": turnStats(plainTurns, "firstDeliveryMs"),
      "POST → session.completed (plain)": turnStats(plainTurns, "completedMs"),
      "POST …/messages → 201": turnStats(plainTurns, "postMs"),
      "POST → first tool.call": turnStats(toolTurns, "toolCallMs"),
      "POST → first message.delta (tool turn)": turnStats(toolTurns, "firstMs"),
      "POST → session.completed (tool turn)": turnStats(toolTurns, "completedMs"),
      "GET /v1/agents/{id}, cold": ok(coldAgent, 200),
      "GET /v1/agents/{id}, warm": await timedGets(`${api.base}/v1/agents/${agents.plain.id}`, api.auth, gets),
      "GET /v1/sessions/{id}": await timedGets(`${api.base}/v1/sessions/${plain.id}`, api.auth, gets),
      "GET /v1/sessions": await timedGets(`${api.base}/v1/sessions`, api.auth, gets),
      "GET …/events (JSON)": await timedGets(
        `${api.base}/v1/sessions/${plain.id}/events`,
        { ...api.auth, accept: "application/json" },
        gets,
      ),
      "POST /v1/sessions": ok(creates, 201),
    };
  } finally {
    plain.stream.close();
    tool.stream.close();
  }
}

/** One request's calls: on its path (finished by its answer) and after it. */
async function countRequest(base, latencyMs, request) {
  const phases = await countCalls(base, latencyMs, async (mark) => {
    const res = await request();
    if (res.status >= 300) throw new Error(`counting: ${res.status} ${res.text.slice(0, 200)}`);
    await mark("path");
  });
  return { path: tally(phases.path), after: tally(phases.after) };
}

/**
 * A turn's calls, split by who made them: the Worker's for the POST route (its auth and
 * hand-over), the session object's for the turn, on its path up to `session.completed`, and after.
 */
async function countTurn(api, latencyMs, session, text) {
  const phases = await countCalls(api.base, latencyMs, (mark) => turn(api, session.id, session.stream, text, mark));
  const by = (source, names) => names.flatMap((n) => phases[n]).filter((c) => c.source === source);
  return {
    post: { path: tally(by("worker", ["post"])), after: tally(by("worker", ["turn", "after"])) },
    turn: { path: tally(by("object", ["post", "turn"])), after: tally(by("object", ["after"])) },
  };
}

/** D1 round trips per route and per turn, each request alone, at `latencyMs` (the split needs a real delay). */
export async function d1Counts(api, agents, { latencyMs, spareKeys, repeats = 3 }) {
  await setLatency(api.base, latencyMs);
  const plain = await openSession(api, agents.plain.id, PLAIN_TEXT);
  const tool = await openSession(api, agents.tool.id, TOOL_TEXT);
  try {
    const coldKey = spareKeys.shift();
    if (!coldKey) throw new Error("no spare API key left for a first use");
    const get =
      (path, headers = api.auth) =>
      () =>
        timedRequest(api.base + path, { headers });
    const rows = {
      "GET /v1/agents/{id}, cold": await countRequest(
        api.base,
        latencyMs,
        get(`/v1/agents/${agents.plain.id}`, { authorization: `Bearer ${coldKey}` }),
      ),
      "GET /v1/agents/{id}, warm": await countRequest(api.base, latencyMs, get(`/v1/agents/${agents.plain.id}`)),
      "GET /v1/sessions/{id}": await countRequest(api.base, latencyMs, get(`/v1/sessions/${plain.id}`)),
      "GET /v1/sessions": await countRequest(api.base, latencyMs, get("/v1/sessions")),
      "GET …/events (JSON)": await countRequest(
        api.base,
        latencyMs,
        get(`/v1/sessions/${plain.id}/events`, { ...api.auth, accept: "application/json" }),
      ),
      "POST /v1/sessions": await countRequest(api.base, latencyMs, () =>
        timedRequest(`${api.base}/v1/sessions`, { method: "POST", headers: api.auth, body: { agent_id: agents.plain.id } }),
      ),
    };
    // Turns are counted `repeats` times: the figures must not depend on the run.
    const plainRuns = [];
    const toolRuns = [];
    for (let i = 0; i < repeats; i += 1) plainRuns.push(await countTurn(api, latencyMs, plain, PLAIN_TEXT));
    for (let i = 0; i < repeats; i += 1) toolRuns.push(await countTurn(api, latencyMs, tool, TOOL_TEXT));
    return { rows, turns: { plain: plainRuns, tool: toolRuns } };
  } finally {
    plain.stream.close();
    tool.stream.close();
  }
}
