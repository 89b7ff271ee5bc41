// The benchmark: the real Worker and a bare one (the ceiling) in local workerd, in the same run,
// under the same bounded loads. Writes docs/BENCHMARKS.md and prints the table.
//
//   npm run bench               measure and write docs/BENCHMARKS.md
//   npm run bench -- --no-write measure and print only
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem, type } from "node:os";
import { join } from "node:path";
import { apiClient } from "./lib/api.mjs";
import { bareFanout, realFanout } from "./lib/fanout.mjs";
import { httpLoad } from "./lib/load.mjs";
import { benchmarksPage, resultsTable } from "./lib/report.mjs";
import { benchSecrets, freshDatabase, seedTenant, snapshotApp, STATE_DIR, WORK_DIR } from "./lib/prepare.mjs";
import { freePort, ROOT, startDev, stopDev, tail } from "./lib/proc.mjs";
import { bareStreams, chatTurns } from "./lib/turns.mjs";

const WRITE = !process.argv.includes("--no-write");
const HARD_LIMIT_MS = 240_000;

// Fixed sizes: every loop is bounded by a count and by a time limit.
const HTTP = { concurrency: 16, warmup: 200, timeLimitMs: 20_000 };
const HEALTH_COUNT = 3000;
const AGENTS_COUNT = 1500;
const CHAT = { sessionCount: 5, turns: 50, timeLimitMs: 30_000 };
const FANOUT_SIZES = [1, 10, 50];
const FANOUT_ROUNDS = 3;

// Raised so the bench measures the app, not its limits (see Settings in the report).
const LIMIT_VARS = {
  RATE_LIMIT_API_PER_MINUTE: "1000000",
  SSE_MAX_STREAMS_PER_SESSION: "100",
  // llmsim paces its words by default to look like a model; the bare Worker has no such pause.
  LLMSIM_WORD_DELAY_MS: "0",
};

const say = (msg) => console.log(`[bench] ${msg}`);
const servers = [];

async function stopAll() {
  await Promise.all(servers.map((s) => stopDev(s)));
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => void stopAll().finally(() => process.exit(130)));
}

function machineFacts() {
  const workerd = execFileSync(join(ROOT, "node_modules", "workerd", "bin", "workerd"), ["--version"], { encoding: "utf8" }).trim();
  const version = (pkg) => JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version;
  return [
    `${cpus().length} cores (${cpus()[0]?.model ?? "unknown CPU"}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ${type()} ${release()}`,
    `Node ${process.version} (load generator and wrangler)`,
    `${workerd} (npm workerd ${version("workerd")}), wrangler ${version("wrangler")}`,
  ];
}

async function startServers(build, secrets) {
  const [realPort, realInspector, barePort, bareInspector] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const vars = Object.entries({ ...secrets, ...LIMIT_VARS }).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  // --log-level warn: wrangler's own per-request line would otherwise cost both Workers a log write each.
  const common = ["--ip", "127.0.0.1", "--show-interactive-dev-session=false", "--log-level", "warn"];
  const starting = [
    startDev({
      name: "real",
      cwd: build.dir,
      port: realPort,
      readyPath: "/health",
      logFile: join(WORK_DIR, "real.log"),
      args: [...common, "--port", String(realPort), "--inspector-port", String(realInspector), "--persist-to", STATE_DIR, ...vars],
    }),
    startDev({
      name: "bare",
      cwd: ROOT,
      port: barePort,
      readyPath: "/",
      logFile: join(WORK_DIR, "bare.log"),
      args: [...common, "-c", "bench/bare/wrangler.toml", "--port", String(barePort), "--inspector-port", String(bareInspector), "--persist-to", join(WORK_DIR, "bare-state")],
    }),
  ];
  // Keep every server that did start, so the finally block stops it even if the other failed.
  const settled = await Promise.allSettled(starting);
  for (const s of settled) if (s.status === "fulfilled") servers.push(s.value);
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw failed.reason;
  return { real: servers.find((s) => s.name === "real"), bare: servers.find((s) => s.name === "bare") };
}

async function measure(real, bare, apiKey) {
  const api = apiClient(real.base, apiKey);
  const pairs = [];

  say(`a) GET /health vs bare GET / (${HEALTH_COUNT} requests, concurrency ${HTTP.concurrency})`);
  pairs.push({
    scenario: "a) health",
    unit: "req/s",
    realLabel: "GET /health",
    bareLabel: "GET /",
    real: await httpLoad({ ...HTTP, url: `${real.base}/health`, count: HEALTH_COUNT }),
    bare: await httpLoad({ ...HTTP, url: `${bare.base}/`, count: HEALTH_COUNT }),
  });

  const agent = await api.createAgent();
  say(`b) authenticated GET /v1/agents vs bare GET / (${AGENTS_COUNT} requests)`);
  pairs.push({
    scenario: "b) list agents (API key)",
    unit: "req/s",
    realLabel: "GET /v1/agents",
    bareLabel: "GET /",
    real: await httpLoad({ ...HTTP, url: `${real.base}/v1/agents`, headers: api.auth, count: AGENTS_COUNT }),
    bare: await httpLoad({ ...HTTP, url: `${bare.base}/`, count: AGENTS_COUNT }),
  });

  say(`c) ${CHAT.turns} chat turns over ${CHAT.sessionCount} sessions (llmsim)`);
  const chat = await chatTurns(api, agent.id, CHAT);
  const events = Math.max(1, chat.eventsPerTurn);
  const bareChat = await bareStreams(bare.base, { events, count: CHAT.turns, concurrency: CHAT.sessionCount, warmup: CHAT.sessionCount, timeLimitMs: CHAT.timeLimitMs });
  const chatLabels = { realLabel: `turn (${events} events)`, bareLabel: `GET /sse?n=${events}` };
  pairs.push(
    { scenario: "c) chat turn: first delta", unit: "turns/s", ...chatLabels, real: chat.first, bare: bareChat.first },
    { scenario: "c) chat turn: session.completed", unit: "turns/s", ...chatLabels, real: chat.completed, bare: bareChat.completed },
  );

  for (const subscribers of FANOUT_SIZES) {
    say(`d) fan-out to ${subscribers} subscriber(s), ${FANOUT_ROUNDS} measured messages`);
    pairs.push({
      scenario: `d) fan-out, ${subscribers} subscriber${subscribers === 1 ? "" : "s"}`,
      unit: "events/s",
      realLabel: `POST → each session.completed`,
      bareLabel: `${subscribers} waiting, POST /publish?n=${events}`,
      real: await realFanout(api, agent.id, { subscribers, rounds: FANOUT_ROUNDS }),
      bare: await bareFanout(bare.base, { subscribers, rounds: FANOUT_ROUNDS, events }),
    });
  }
  return { pairs, events };
}

function settingsList(events) {
  return [
    `Both Workers: \`wrangler dev --ip 127.0.0.1 --log-level warn\` on free ports, local mode (requests pass through wrangler's local proxy, as in everyday development); the real one built from a copy of the working tree (.wrangler/bench/app) with a fresh local D1 (\`--persist-to .wrangler/bench-state\`, migrations applied) and a seeded org, owner and API key.`,
    `Limits raised for the run with \`--var\`: ${Object.entries(LIMIT_VARS).map(([k, v]) => `\`${k}=${v}\``).join(", ")}, so the bench measures throughput, not the rate limiter's 429s or the per-session stream cap (20 by default; d needs 50), and llmsim's simulated per-word pause is off, so turns measure the app, not a pretend model. The limit is raised, not turned off, so every /v1 request still makes its call to the RateLimiter Durable Object, as in production. JWT_SECRET and ENCRYPTION_KEY are random per run (bench-only).`,
    `a, b: ${HTTP.warmup} warm-up requests, then ${HEALTH_COUNT} (a) / ${AGENTS_COUNT} (b) GETs at concurrency ${HTTP.concurrency}, each capped at ${HTTP.timeLimitMs / 1000} s. b lists the one agent of the org, authenticated with \`Authorization: Bearer evr_…\`.`,
    `c: ${CHAT.sessionCount} sessions side by side, each with one open \`GET /v1/sessions/{id}/sse\` stream and one warm-up turn, then ${CHAT.turns} turns in all (one after another within a session), built-in llmsim model. "first delta" is POST → first \`message.delta\`; "session.completed" is POST → \`session.completed\`. llmsim streams its reply with no simulated delay, so a turn's events tend to arrive together and the two are close. Rate is turns per second. The bare rows open \`/sse?n=${events}\` (the mean number of events of a real turn) at concurrency ${CHAT.sessionCount}: first event and last event.`,
    `d: one session per size with S subscribers connected first, one warm-up message, then ${FANOUT_ROUNDS} messages one after another; latency is POST → that subscriber's \`session.completed\`, over all subscribers and messages. Rate is event deliveries per second (S × events / slowest subscriber). The bare rows connect S streams to \`/sse?wait=1\`, then one \`POST /publish?n=${events}\` sends them ${events} events each (the bare Worker keeps the streams in a module-level set, which reaches all of them only because local workerd runs it in one isolate); timed from the POST. Fresh bare streams each round, same warm-up and rounds.`,
  ];
}

async function main() {
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 22) throw new Error(`Node ${process.version}: run with Node 22 (\`npm run bench\` uses the project's node)`);
  const t0 = Date.now();
  say("copying the Worker, applying migrations, seeding");
  const build = snapshotApp();
  await freshDatabase(build.dir);
  const tenant = await seedTenant(build.dir);
  say("starting the real and the bare Worker");
  const { real, bare } = await startServers(build, benchSecrets());
  let result;
  try {
    result = await measure(real, bare, tenant.apiKey);
  } catch (err) {
    console.error(`[bench] real Worker log (last lines):\n${tail(real.logFile)}`);
    throw err;
  }
  await stopAll();
  const table = resultsTable(result.pairs);
  console.log(`\n${table}\n`);
  say(`done in ${Math.round((Date.now() - t0) / 1000)} s`);
  if (!WRITE) return;
  const page = benchmarksPage({
    command: "npm run bench",
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    machine: machineFacts(),
    build,
    settings: settingsList(result.events),
    pairs: result.pairs,
    notes: [`Whole run, including setup and start-up of both Workers: ${Math.round((Date.now() - t0) / 1000)} s.`],
  });
  writeFileSync(join(ROOT, "docs", "BENCHMARKS.md"), page);
  say("wrote docs/BENCHMARKS.md");
}

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
