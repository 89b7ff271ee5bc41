// The long-session and audience bench: reads with a simulated geography (D1's primary far, a
// read replica near), a turn's first delta on a session of 2,000 messages against one of 2, and
// fan-out to 100, 500 and 1,000 subscribers over SSE and WebSockets. Prints one markdown report
// and writes it into docs/BENCHMARKS.md as its own section (which `npm run bench` keeps), and the
// figures to .wrangler/bench/scale.json.
//
//   npm run bench:scale                  all of it
//   npm run bench:scale -- --no-fanout   without the fan-out rows (minutes shorter)
//   npm run bench:scale -- --quick       small counts, to check the harness
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { apiClient, timedRequest } from "./lib/api.mjs";
import { realFanout } from "./lib/fanout.mjs";
import { summarize } from "./lib/load.mjs";
import { benchSecrets, freshDatabase, persistRoot, seedTenant } from "./lib/prepare.mjs";
import { ROOT, WORK_DIR } from "./lib/proc.mjs";
import { openStream } from "./lib/sse-client.mjs";
import { buildTree } from "./lib/tree.mjs";
import { readTurn } from "./lib/turns.mjs";
import { startWorker } from "./lib/workers.mjs";

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const FANOUT = !argv.includes("--no-fanout");
const SIZES = QUICK
  ? { cold: 3, gets: 5, turns: 3, longTurns: 3, fanout: [20, 50] }
  : { cold: 10, gets: 40, turns: 10, longTurns: 15, fanout: [100, 500, 1000] };
const GEOGRAPHY = { primaryMs: 80, replicaMs: 5 };
const HISTORY = 2_000;
const LIMIT_VARS = {
  RATE_LIMIT_API_PER_MINUTE: "1000000",
  SSE_MAX_STREAMS_PER_SESSION: "5000",
  SSE_MAX_STREAMS_PER_CALLER: "5000",
  LLMSIM_WORD_DELAY_MS: "0",
};
const say = (msg) => console.log(`[scale] ${msg}`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");
const ms = (v) => (Number.isFinite(v) ? v.toFixed(1) : "—");

async function meter(base, query) {
  const res = await fetch(`${base}/__bench/d1?${query}`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`/__bench/d1 answered ${res.status}`);
  return res.json();
}

/** Runs one request with the meter reset before it; returns it with the D1 calls on its path and where each went. */
async function metered(base, request) {
  await meter(base, "reset=1");
  const res = await request();
  const { calls } = await meter(base, "");
  const onPath = calls.filter((c) => c.done && c.source === "worker");
  return {
    ...res,
    primary: onPath.filter((c) => c.where === "primary").length,
    replica: onPath.filter((c) => c.where === "replica").length,
  };
}

function stats(list) {
  const ok = list.filter((r) => r.status === 200);
  return {
    ...summarize(
      ok.map((r) => r.ms),
      list.length - ok.length,
      Number.NaN,
    ),
    primaryReads: Math.max(0, ...list.map((r) => r.primary ?? 0)),
    replicaReads: Math.max(0, ...list.map((r) => r.replica ?? 0)),
  };
}

async function firstDelta(api, sessionId, stream, text) {
  const t0 = performance.now();
  const posted = await api.sendMessage(sessionId, text);
  if (posted.status !== 201) return { firstMs: null, failed: true };
  return readTurn(stream, t0);
}

function turnStats(turns) {
  const ok = turns.filter((t) => !t.failed && t.firstMs !== null && t.completedMs !== null);
  return summarize(
    ok.map((t) => t.firstMs),
    turns.length - ok.length,
    Number.NaN,
  );
}

/** GETs and a turn's first delta with the primary at +80 ms and a replica at +5 ms. */
async function geography(worker, tenant) {
  const api = apiClient(worker.base, tenant.apiKey);
  const agent = await api.createAgent();
  const session = await api.createSession(agent.id);
  await meter(worker.base, `latency=${GEOGRAPHY.primaryMs}&replica=${GEOGRAPHY.replicaMs}&reset=1`);
  try {
    const agentUrl = `${worker.base}/v1/agents/${agent.id}`;
    const cold = [];
    for (const key of tenant.spareKeys.slice(0, SIZES.cold))
      cold.push(await metered(worker.base, () => timedRequest(agentUrl, { headers: { authorization: `Bearer ${key}` } })));
    const repeat = async (url) => {
      const out = [];
      for (let i = 0; i < SIZES.gets + 2; i += 1) {
        const r = await metered(worker.base, () => timedRequest(url, { headers: api.auth }));
        if (i >= 2) out.push(r);
      }
      return out;
    };
    const warm = await repeat(agentUrl);
    const list = await repeat(`${worker.base}/v1/sessions`);
    const stream = await openStream(api.sseUrl(session.id), api.auth);
    await stream.ready;
    await firstDelta(api, session.id, stream, "warm-up");
    const turns = [];
    for (let i = 0; i < SIZES.turns; i += 1) turns.push(await firstDelta(api, session.id, stream, "Hello, bench."));
    stream.close();
    return {
      "GET /v1/agents/{id}, cold": stats(cold),
      "GET /v1/agents/{id}, warm": stats(warm),
      "GET /v1/sessions": stats(list),
      "POST → first message.delta": turnStats(turns),
      load: load(),
    };
  } finally {
    await meter(worker.base, "latency=0&replica=&reset=1");
  }
}

/** A turn's first delta on a session of 2,000 messages and on one of 2, alternating. */
async function longSession(worker, tenant) {
  const api = apiClient(worker.base, tenant.apiKey);
  const agent = await api.createAgent();
  const short = await api.createSession(agent.id);
  const long = await api.createSession(agent.id);
  await api.sendMessage(short.id, "The one turn before.");
  const res = await fetch(`${worker.base}/__bench/seed-messages?session_id=${long.id}&total=${HISTORY}`, {
    method: "POST",
    signal: AbortSignal.timeout(120_000),
  });
  if (res.status !== 200) throw new Error(`seeding messages answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  await worker.mf.unsafeEvictDurableObject(worker.name, "SessionObject", { name: long.id });
  const streams = {};
  for (const [name, s] of [
    ["short", short],
    ["long", long],
  ]) {
    // From the head: the client of a long session does not replay its history here.
    const head = (await api.allEvents(s.id)).at(-1)?.sequence ?? 0;
    streams[name] = await openStream(`${api.sseUrl(s.id)}?after_sequence=${head}`, api.auth);
    await streams[name].ready;
    await firstDelta(api, s.id, streams[name], "warm-up");
  }
  const turns = { short: [], long: [] };
  for (let i = 0; i < SIZES.longTurns; i += 1) {
    for (const name of ["short", "long"])
      turns[name].push(await firstDelta(api, name === "short" ? short.id : long.id, streams[name], "What did we agree on last time?"));
  }
  for (const s of Object.values(streams)) s.close();
  const compacted = (await api.allEvents(long.id)).filter((e) => e.type === "context.compacted").length;
  return { short: turnStats(turns.short), long: turnStats(turns.long), compactedEvents: compacted, load: load() };
}

async function fanout(worker, tenant) {
  const api = apiClient(worker.base, tenant.apiKey);
  const agent = await api.createAgent();
  const rows = [];
  for (const kind of ["sse", "ws"]) {
    for (const subscribers of SIZES.fanout) {
      say(`fan-out over ${kind} to ${subscribers} (load ${load()})`);
      const row = await realFanout(api, agent.id, { kind, subscribers, rounds: 3, burst: 50, timeLimitMs: 120_000 });
      rows.push({ ...row, load: load() });
    }
  }
  return rows;
}

function report(results) {
  const lines = [
    `Measured ${results.date} on commit ${results.commit}${results.dirty ? " (uncommitted changes)" : ""}; load average at the start ${results.loadAtStart}.`,
    "",
  ];
  const g = results.geography;
  lines.push(`**Geography** (metered D1: primary +${GEOGRAPHY.primaryMs} ms, replica +${GEOGRAPHY.replicaMs} ms; load ${g.load})`, "");
  lines.push("| request | p50 ms | p95 ms | n | D1 calls on its path: primary / replica (max) |", "|---|---:|---:|---:|---|");
  for (const [name, s] of Object.entries(g)) {
    if (name === "load") continue;
    lines.push(
      `| ${name} | ${ms(s.p50)} | ${ms(s.p95)} | ${s.count} | ${s.primaryReads === undefined ? "(object)" : `${s.primaryReads} / ${s.replicaReads}`} |`,
    );
  }
  const l = results.longSession;
  lines.push("", `**Long session** (llmsim, window 8,192; ${l.compactedEvents} context.compacted events; load ${l.load})`, "");
  lines.push("| session | first delta p50 ms | p95 ms | n |", "|---|---:|---:|---:|");
  lines.push(
    `| 2 messages | ${ms(l.short.p50)} | ${ms(l.short.p95)} | ${l.short.count} |`,
    `| ${HISTORY.toLocaleString("en")} messages | ${ms(l.long.p50)} | ${ms(l.long.p95)} | ${l.long.count} |`,
  );
  lines.push(`| ratio (p50) | ${(l.long.p50 / l.short.p50).toFixed(2)}× | | |`);
  if (results.fanout) {
    lines.push("", "**Fan-out** (one session, 3 single messages then a burst of 50; publish → receipt)", "");
    lines.push(
      "| transport | subscribers | single p50 / p99 ms | burst p50 / p99 ms | complete / in order | load |",
      "|---|---:|---:|---:|---|---|",
    );
    for (const r of results.fanout) {
      const s = r.windows.single;
      const b = r.windows.burst;
      lines.push(
        `| ${r.kind.toUpperCase()} | ${r.size} | ${ms(s.p50)} / ${ms(s.p99)} | ${ms(b.p50)} / ${ms(b.p99)} | ${r.checks.complete} / ${r.checks.inOrder} of ${r.checks.subscribers} | ${r.load} |`,
      );
    }
  }
  return lines.join("\n");
}

async function main() {
  const loadAtStart = load();
  say(`building (load ${loadAtStart})`);
  const tree = await buildTree(ROOT, "scale");
  const dir = join(WORK_DIR, "state", "scale");
  await freshDatabase(tree.appDir, dir);
  const tenant = await seedTenant(tree.appDir, dir, { spareKeys: SIZES.cold + 2 });
  const secrets = benchSecrets();
  const start = (name, modules) =>
    startWorker({
      name,
      configPath: tree.configPath,
      modules,
      vars: { ...secrets, ...LIMIT_VARS },
      persistRoot: persistRoot(dir),
      logFile: join(WORK_DIR, `${name}.log`),
    });
  const results = { date: new Date().toISOString().replace(/\.\d+Z$/, "Z"), commit: tree.commit, dirty: tree.dirty, loadAtStart };
  const metered = await start("scale-metered", tree.modules.metered);
  try {
    say("geography");
    results.geography = await geography(metered, tenant);
    say("long session");
    results.longSession = await longSession(metered, tenant);
  } finally {
    await metered.stop();
  }
  if (FANOUT) {
    const real = await start("scale-real", tree.modules.real);
    try {
      results.fanout = await fanout(real, tenant);
    } finally {
      await real.stop();
    }
  }
  mkdirSync(WORK_DIR, { recursive: true });
  writeFileSync(join(WORK_DIR, "scale.json"), `${JSON.stringify(results, null, 1)}\n`);
  const text = report(results);
  console.log(`\n${text}\n`);
  if (!QUICK) writeSection(join(ROOT, "docs", "BENCHMARKS.md"), text);
}

/** Puts the report into the page as its own section, replacing the one an earlier run wrote. */
function writeSection(page, text) {
  const section = `<!-- scale:start -->\n## Long sessions and big audiences (\`npm run bench:scale\`)\n\n${text}\n<!-- scale:end -->`;
  const previous = existsSync(page) ? readFileSync(page, "utf8") : "";
  const marked = /<!-- scale:start -->[\s\S]*<!-- scale:end -->/;
  writeFileSync(page, marked.test(previous) ? previous.replace(marked, section) : `${previous.trimEnd()}\n\n${section}\n`);
}

await main();
