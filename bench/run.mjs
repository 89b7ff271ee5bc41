// The benchmark (issues 11 and 12): the built Worker served by Miniflare directly (no dev
// proxy) next to a bare Worker (the ceiling); remote D1 (every D1 call delayed and counted)
// for this tree and, with --before, an older one; resume at 10,000 events; fan-out to 1,000
// subscribers. Prints the tables and writes docs/BENCHMARKS.md. Options: bench/lib/args.mjs.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { apiClient } from "./lib/api.mjs";
import { parseArgs } from "./lib/args.mjs";
import { bareFanout, realFanout, wsRouteExists } from "./lib/fanout.mjs";
import { compareFanout, fanoutCompareSection, writeFanoutSection } from "./lib/fanout-compare.mjs";
import { httpLoad } from "./lib/load.mjs";
import { benchSecrets, freshDatabase, persistRoot, seedTenant } from "./lib/prepare.mjs";
import { ROOT, tail, WORK_DIR } from "./lib/proc.mjs";
import { d1Counts, d1Timings } from "./lib/remote-d1.mjs";
import { benchmarksPage, consoleSummary, loadText, machineFacts, WEBHOOKS_HEADING, webhooksSection } from "./lib/report.mjs";
import { resumeAt } from "./lib/resume.mjs";
import { buildTree } from "./lib/tree.mjs";
import { bareStreams, chatTurns } from "./lib/turns.mjs";
import { webhookScenario } from "./lib/webhooks.mjs";
import { startWorker } from "./lib/workers.mjs";

const options = parseArgs(process.argv.slice(2));
const HARD_LIMIT_MS = 15 * 60_000;
const RECORD = join(ROOT, "bench", "records", "before.json");

// Fixed sizes: every loop is bounded by a count and by a time limit.
const SIZES = options.quick
  ? {
      http: { concurrency: 16, warmup: 50, timeLimitMs: 10_000 },
      health: 300,
      agents: 150,
      chat: { sessionCount: 3, turns: 9, timeLimitMs: 15_000 },
      d1: { turns: 5, gets: 5, coldKeys: 3 },
      resume: { total: 2_000, repeats: 2 },
      fanout: [20, 50],
    }
  : {
      http: { concurrency: 16, warmup: 200, timeLimitMs: 20_000 },
      health: 3000,
      agents: 1500,
      chat: { sessionCount: 5, turns: 50, timeLimitMs: 30_000 },
      d1: { turns: 30, gets: 40, coldKeys: 15 },
      resume: { total: 10_000, repeats: 5 },
      fanout: [100, 500, 1000],
    };
const FANOUT = { rounds: 3, burst: 50, timeLimitMs: 120_000, bareEvents: 7 };
const WEBHOOKS = options.quick
  ? { endpoints: 10, fanoutTurns: 4, turns: 10, sessions: 2 }
  : { endpoints: 25, fanoutTurns: 12, turns: 60, sessions: 3 };

// Raised so the bench measures the app, not its limits (see Settings in the report); the API
// rate limit binding's own limit is raised in lib/workers.mjs.
const LIMIT_VARS = {
  RATE_LIMIT_API_PER_MINUTE: "1000000", // the RateLimiter object of older trees
  SSE_MAX_STREAMS_PER_SESSION: "5000",
  SSE_MAX_STREAMS_PER_CALLER: "5000",
  // llmsim paces its words by default to look like a model; the bare Worker has no such pause.
  LLMSIM_WORD_DELAY_MS: "0",
};

const say = (msg) => console.log(`[bench] ${msg}`);
const running = new Set();

async function serve(name, tree, state, modules, secrets) {
  say(`starting ${name}`);
  const worker = await startWorker({
    name,
    configPath: tree.configPath,
    modules,
    // The webhook scenario's receiver listens on loopback.
    vars: { ...secrets, ...LIMIT_VARS, ALLOW_PRIVATE_WEBHOOK_URLS: "true" },
    persistRoot: persistRoot(state.dir),
    logFile: join(WORK_DIR, `${name}.log`),
  });
  running.add(worker);
  return worker;
}

async function stop(worker) {
  running.delete(worker);
  await worker.stop();
}

/** Builds a tree and gives it a fresh local D1 with a seeded tenant. */
async function prepare(treeDir, label) {
  const tree = await buildTree(treeDir, label);
  const dir = join(WORK_DIR, "state", label);
  await freshDatabase(tree.appDir, dir);
  const tenant = await seedTenant(tree.appDir, dir, { spareKeys: 2 * SIZES.d1.coldKeys + 4 });
  return { tree, state: { dir, tenant } };
}

/** Remote D1 on a tree's metered build: timings with no delay and with the delay, counts with the delay. */
async function remoteD1(name, prepared, secrets, { withResume }) {
  const worker = await serve(name, prepared.tree, prepared.state, prepared.tree.modules.metered, secrets);
  try {
    const { tenant } = prepared.state;
    const api = apiClient(worker.base, tenant.apiKey);
    const agents = { plain: await api.createAgent(), tool: await api.createAgent(["current_time"]) };
    let resume = null;
    if (withResume) {
      say(`resume at ${SIZES.resume.total} events (${name})`);
      resume = await resumeAt(api, worker, agents.plain.id, SIZES.resume);
    }
    const timings = {};
    for (const latencyMs of [0, options.latencyMs]) {
      say(`remote D1 at ${latencyMs} ms per call: timings (${name})`);
      timings[latencyMs] = await d1Timings(api, agents, { latencyMs, ...SIZES.d1, spareKeys: tenant.spareKeys });
    }
    say(`remote D1 at ${options.latencyMs} ms per call: round trips (${name})`);
    const counts = await d1Counts(api, agents, { latencyMs: Math.max(options.latencyMs, 10), spareKeys: tenant.spareKeys });
    return { commit: prepared.tree.commit, dirty: prepared.tree.dirty, timings, counts, resume };
  } catch (err) {
    console.error(`[bench] ${name} log (last lines):\n${tail(worker.logFile)}`);
    throw err;
  } finally {
    await stop(worker);
  }
}

/** The real Worker as deployed next to the bare one: throughput, chat turns, fan-out. */
async function realAndBare(prepared, secrets) {
  const real = await serve("app", prepared.tree, prepared.state, prepared.tree.modules.real, secrets);
  const bareTree = { configPath: join(ROOT, "bench", "bare", "wrangler.toml") };
  const bare = await serve(
    "bare",
    bareTree,
    { dir: join(WORK_DIR, "state", "bare") },
    [{ type: "ESModule", path: join(ROOT, "bench", "bare", "index.js") }],
    {},
  );
  try {
    const api = apiClient(real.base, prepared.state.tenant.apiKey);
    const pairs = [];
    say(`a) GET /health vs bare GET / (${SIZES.health} requests, concurrency ${SIZES.http.concurrency})`);
    pairs.push({
      scenario: "a) health",
      unit: "req/s",
      realLabel: "GET /health",
      bareLabel: "GET /",
      real: await httpLoad({ ...SIZES.http, url: `${real.base}/health`, count: SIZES.health }),
      bare: await httpLoad({ ...SIZES.http, url: `${bare.base}/`, count: SIZES.health }),
    });
    const agent = await api.createAgent();
    say(`b) authenticated GET /v1/agents vs bare GET / (${SIZES.agents} requests)`);
    pairs.push({
      scenario: "b) list agents (API key)",
      unit: "req/s",
      realLabel: "GET /v1/agents",
      bareLabel: "GET /",
      real: await httpLoad({ ...SIZES.http, url: `${real.base}/v1/agents`, headers: api.auth, count: SIZES.agents }),
      bare: await httpLoad({ ...SIZES.http, url: `${bare.base}/`, count: SIZES.agents }),
    });
    say(`c) ${SIZES.chat.turns} chat turns over ${SIZES.chat.sessionCount} sessions (llmsim)`);
    const chat = await chatTurns(api, agent.id, SIZES.chat);
    const events = Math.max(1, chat.eventsPerTurn);
    const bareChat = await bareStreams(bare.base, {
      events,
      count: SIZES.chat.turns,
      concurrency: SIZES.chat.sessionCount,
      warmup: SIZES.chat.sessionCount,
      timeLimitMs: SIZES.chat.timeLimitMs,
    });
    const chatLabels = { realLabel: `turn (${events} events)`, bareLabel: `GET /sse?n=${events}` };
    pairs.push(
      { scenario: "c) chat turn: first delta", unit: "turns/s", ...chatLabels, real: chat.first, bare: bareChat.first },
      { scenario: "c) chat turn: session.completed", unit: "turns/s", ...chatLabels, real: chat.completed, bare: bareChat.completed },
    );
    const probe = await api.createSession(agent.id);
    const wsReady = await wsRouteExists(api, probe.id);
    const fanout = [];
    for (const kind of ["sse", "ws"]) {
      for (const subscribers of SIZES.fanout) {
        say(
          `d) fan-out over ${kind.toUpperCase()} to ${subscribers} subscribers${kind === "ws" && !wsReady ? " (real: skipped, no /ws route)" : ""}`,
        );
        const row = { kind, subscribers, real: null };
        if (kind === "sse" || wsReady) row.real = await realFanout(api, agent.id, { kind, subscribers, ...FANOUT });
        row.bare = await bareFanout(bare.base, { kind, subscribers, events: FANOUT.bareEvents, timeLimitMs: FANOUT.timeLimitMs });
        fanout.push(row);
      }
    }
    const webhooks = await measureWebhooks(api, agent.id, prepared.tree);
    return { pairs, events, fanout, wsReady, webhooks };
  } catch (err) {
    console.error(`[bench] app log (last lines):\n${tail(real.logFile)}`);
    throw err;
  } finally {
    await Promise.all([stop(real), stop(bare)]);
  }
}

/** Scenario e (bench/lib/webhooks.mjs), with what the page says about how it was measured. */
async function measureWebhooks(api, agentId, tree) {
  say(
    `e) webhooks: ${WEBHOOKS.fanoutTurns} turns fanned out to ${WEBHOOKS.endpoints} endpoints, then ${WEBHOOKS.turns} turns over ${WEBHOOKS.sessions} sessions`,
  );
  const result = await webhookScenario(api, agentId, WEBHOOKS);
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  return { ...result, sizes: WEBHOOKS, date, command: options.command, commit: tree.commit, dirty: tree.dirty, load: loadText() };
}

/** `--only=webhooks`: the real Worker and scenario e alone; its section of the page is replaced, the rest kept. */
async function webhooksOnly() {
  const after = await prepare(options.tree ?? ROOT, "after");
  const real = await serve("app", after.tree, after.state, after.tree.modules.real, benchSecrets());
  let webhooks;
  try {
    const api = apiClient(real.base, after.state.tenant.apiKey);
    webhooks = await measureWebhooks(api, (await api.createAgent()).id, after.tree);
  } catch (err) {
    console.error(`[bench] app log (last lines):\n${tail(real.logFile)}`);
    throw err;
  } finally {
    await stop(real);
  }
  const section = webhooksSection(webhooks);
  console.log(`\n${section}`);
  if (!options.write) return;
  const page = readFileSync(options.out, "utf8");
  const start = page.indexOf(WEBHOOKS_HEADING);
  const next = start < 0 ? page.indexOf("## How to read this") : page.indexOf("\n## ", start + WEBHOOKS_HEADING.length) + 1;
  if (next <= 0) throw new Error(`${options.out} has no place for the webhook section`);
  writeFileSync(options.out, `${page.slice(0, start < 0 ? next : start)}${section}${page.slice(next)}`);
  say(`replaced the webhook section of ${options.out}`);
}

/** `--only=fanout`: SSE fan-out at every size (and WebSocket at the largest) on this tree and the --before tree, in one run. */
async function fanoutOnly() {
  const labelled = [["after", options.tree ?? ROOT], ...(options.before ? [["before", options.before]] : [])];
  const prepared = await Promise.all(labelled.map(([label, dir]) => prepare(dir, label)));
  const secrets = benchSecrets();
  const trees = [];
  try {
    for (const [i, [label, dir]] of labelled.entries()) {
      const p = prepared[i];
      const worker = await serve(`${label}-fanout`, p.tree, p.state, p.tree.modules.real, secrets);
      trees.push({ label, dir, worker, tenant: p.state.tenant, commit: p.tree.commit, dirty: p.tree.dirty });
    }
    const rows = await compareFanout(trees.toReversed(), { sizes: SIZES.fanout, run: FANOUT, say });
    const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const section = fanoutCompareSection({ rows, date, command: options.command, trees });
    console.log(`\n${section}`);
    if (!options.write) return;
    writeFanoutSection(options.out, section);
    say(`replaced the fan-out comparison of ${options.out}`);
  } catch (err) {
    for (const t of trees) console.error(`[bench] ${t.label} log (last lines):\n${tail(t.worker.logFile)}`);
    throw err;
  } finally {
    await Promise.all(trees.map((t) => stop(t.worker)));
  }
}

function loadRecordedBefore() {
  if (!existsSync(RECORD)) return null;
  return JSON.parse(readFileSync(RECORD, "utf8"));
}

async function main() {
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 22) throw new Error(`Node ${process.version}: run with Node 22 (\`npm run bench\` uses the project's node)`);
  if (options.only === "webhooks") {
    await webhooksOnly();
    return;
  }
  if (options.only === "fanout") {
    await fanoutOnly();
    return;
  }
  const t0 = Date.now();
  const machine = machineFacts();
  say(`building and seeding ${options.tree ?? "this tree"}${options.before ? ` and ${options.before}` : ""}`);
  const [after, before] = await Promise.all([
    prepare(options.tree ?? ROOT, "after"),
    options.before ? prepare(options.before, "before") : null,
  ]);
  const secrets = benchSecrets();
  const results = { after: { remote: await remoteD1("app-metered", after, secrets, { withResume: true }) } };
  if (before) {
    results.before = { remote: await remoteD1("before-metered", before, secrets, { withResume: false }) };
    results.before.recorded = {
      date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      command: options.command,
      tree: options.before,
      machine,
    };
  }
  results.after.live = await realAndBare(after, secrets);
  const runSeconds = Math.round((Date.now() - t0) / 1000);
  const recordedBefore = results.before ?? loadRecordedBefore();
  const page = {
    command: options.command,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    machine,
    tree: after.tree,
    latencyMs: options.latencyMs,
    limits: LIMIT_VARS,
    sizes: { ...SIZES, fanoutRun: FANOUT },
    after: results.after,
    before: recordedBefore,
    beforeMeasuredNow: Boolean(results.before),
    runSeconds,
    loadAtEnd: loadText(),
  };
  console.log(`\n${consoleSummary(page)}\n`);
  say(`done in ${runSeconds} s`);
  if (results.before && options.write && !options.quick) {
    mkdirSync(join(ROOT, "bench", "records"), { recursive: true });
    writeFileSync(RECORD, `${JSON.stringify(results.before, null, 1)}\n`);
    say(`recorded the before figures in ${RECORD.slice(ROOT.length + 1)}`);
  }
  if (!options.write) return;
  writeFileSync(options.out, withScaleSection(benchmarksPage(page), options.out));
  say(`wrote ${options.out}`);
}

/** The page with the sections `npm run bench:scale` and bench/mcp-call.mjs wrote into the previous one, kept as they were. */
function withScaleSection(page, out) {
  const previous = existsSync(out) ? readFileSync(out, "utf8") : "";
  const kept = [/<!-- scale:start -->[\s\S]*<!-- scale:end -->/, /<!-- mcp:start -->[\s\S]*<!-- mcp:end -->/]
    .map((marked) => marked.exec(previous)?.[0])
    .filter((section) => section !== undefined);
  return kept.length > 0 ? `${page.trimEnd()}\n\n${kept.join("\n\n")}\n` : page;
}

async function stopAll() {
  await Promise.all([...running].map((w) => stop(w)));
}

for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => void stopAll().finally(() => process.exit(130)));
const hardStop = setTimeout(() => {
  console.error(`[bench] still running after ${HARD_LIMIT_MS / 1000} s: stopping`);
  void stopAll().finally(() => process.exit(1));
}, HARD_LIMIT_MS);

try {
  await main();
} catch (err) {
  console.error(`[bench] failed: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await stopAll();
  clearTimeout(hardStop);
}
