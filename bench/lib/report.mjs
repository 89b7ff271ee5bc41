// docs/BENCHMARKS.md and the console summary, from one run's results.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem, type } from "node:os";
import { join } from "node:path";
import { ROOT } from "./proc.mjs";
import {
  countsTable,
  d1CompareTable,
  d1DetailTable,
  fanoutTable,
  ms,
  resultsTable,
  resumeTable,
  statementsTable,
  webhookTable,
} from "./report-tables.mjs";

export function machineFacts() {
  const wranglerDir = join(ROOT, "node_modules", "wrangler");
  const version = (dir) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
  const workerdBin = join(wranglerDir, "node_modules", "workerd", "bin", "workerd");
  const workerd = execFileSync(workerdBin, ["--version"], { encoding: "utf8" }).trim();
  const miniflare = version(join(wranglerDir, "node_modules", "miniflare"));
  return [
    `${cpus().length} cores (${cpus()[0]?.model ?? "unknown CPU"}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ${type()} ${release()}`,
    `Node ${process.version} (load generator and build)`,
    `${workerd}, Miniflare ${miniflare}, wrangler ${version(wranglerDir)} (wrangler's own Miniflare and workerd)`,
    `Load average (1, 5, 15 min) when the run started: ${loadText()} (other people's tests share these 2 cores)`,
  ];
}

export const loadText = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");

/** The turn-path target: no D1 write and at most one read round trip, on every counted turn. */
function turnPathVerdict(remote) {
  const runs = [...(remote?.counts?.turns.plain ?? []), ...(remote?.counts?.turns.tool ?? [])];
  if (runs.length === 0) return null;
  const worst = runs.reduce((w, r) => ({ writes: Math.max(w.writes, r.turn.path.writes), reads: Math.max(w.reads, r.turn.path.reads) }), {
    writes: 0,
    reads: 0,
  });
  return { ...worst, met: worst.writes === 0 && worst.reads <= 1 };
}

/** Sentences computed from the figures, so they stay true when the page is regenerated. */
function findings(page) {
  const L = page.latencyMs;
  const t = (lat, m) => page.after.remote.timings[lat]?.[m]?.p50;
  const counts = page.after.remote.counts.rows;
  const turn = page.after.remote.counts.turns.plain[0]?.turn.path;
  const out = [
    `Plain turn at ${L} ms: POST → first delta ${ms(t(L, "POST → first message.delta (plain)"))} ms, of which the object made the delta ${ms(t(L, "↳ POST → delta made (its ts)"))} ms after the POST (by the delta's own \`ts\`) and it reached the client ${ms(t(L, "↳ delta made → received"))} ms later. The turn's path has ${turn ? `${turn.reads} D1 read and ${turn.writes} writes` : "its D1 calls"}, so about ${L} ms of that is the read; the rest is local work: with no delay the same turn takes ${ms(t(0, "POST → session.completed (plain)"))} ms from POST to \`session.completed\` on this machine. A turn's events reach the stream together (first delta ≈ \`session.completed\`): llmsim answers at once and the object's output is released once its storage writes are confirmed.`,
  ];
  out.push(
    `\`POST …/messages\` answers 201 in ${ms(t(L, "POST …/messages → 201"))} ms at ${L} ms per D1 call but in ${ms(t(0, "POST …/messages → 201"))} ms with no delay, about when the turn's last event arrives (${ms(t(0, "POST → session.completed (plain)"))} ms): with nothing to wait for, the turn runs on in the object before the post's answer leaves it, and the answer is held with the turn's own output until its storage writes are confirmed.`,
  );
  const trips = (n) => `${n} sequential D1 round trip${n === 1 ? "" : "s"}`;
  const cold = counts["GET /v1/agents/{id}, cold"]?.path;
  const warm = counts["GET /v1/agents/{id}, warm"]?.path;
  if (cold && warm) {
    out.push(
      `\`GET /v1/agents/{id}\` waits for ${trips(warm.sequential)} with a cached principal (${warm.what.join(", ")}) and ${cold.sequential} without (${cold.what.join(", ")}; a write beside a read runs in parallel with it): at least ${warm.sequential * L} / ${cold.sequential * L} ms at ${L} ms each, measured ${ms(t(L, "GET /v1/agents/{id}, warm"))} / ${ms(t(L, "GET /v1/agents/{id}, cold"))} ms. \`GET /v1/sessions/{id}\` asks only the session object: ${ms(t(L, "GET /v1/sessions/{id}"))} ms.`,
    );
  }
  const create = counts["POST /v1/sessions"]?.path;
  if (create)
    out.push(
      `\`POST /v1/sessions\` waits for ${trips(create.sequential)} (${create.what.join(", ")}): ${ms(t(L, "POST /v1/sessions"))} ms at ${L} ms.`,
    );
  const pct = (v) => (Number.isFinite(v) ? `${v.toFixed(0)} %` : "— (too short to tell)");
  for (const f of page.after.live.fanout.filter((row) => row.kind === "sse" && row.real)) {
    const { single, burst } = f.real.windows;
    out.push(
      `SSE fan-out to ${f.subscribers}: p99 ${ms(single.p99)} ms for single messages and ${ms(burst.p99)} ms in the burst, against ${ms(f.bare.p99)} ms for the bare Worker's one publish of ${f.bare.expected / f.subscribers} events to as many streams (the ceiling of this runtime, machine and client). CPU while the single messages were delivered: load generator ${pct(single.cpu?.clientPct)}, workerd ${pct(single.cpu?.serverPct)} of a core (bare: ${pct(f.bare.cpu?.clientPct)}, ${pct(f.bare.cpu?.serverPct)}).`,
    );
  }
  return out;
}

function settings(page) {
  const s = page.sizes;
  return [
    `Every Worker is built with \`wrangler deploy --dry-run --outdir\` from a frozen copy of its tree (\`<tree>/.wrangler/bench-snapshot\`; its imports resolve to that tree's own node_modules) and served by Miniflare's API on a direct workerd socket: no \`wrangler dev\`, no dev proxy. Bindings come from the tree's wrangler.toml through \`unstable_getMiniflareWorkerOptions\` (D1, SQLite-backed Durable Objects, \`[[ratelimits]]\`, assets, the \`.sql\` text rules). Local D1 is fresh per run under .wrangler/bench/state (migrations applied with \`wrangler d1 migrations apply --local --persist-to\`), with a seeded org, owner and API keys. The bare Worker (bench/bare/index.js, no imports) is loaded as it is.`,
    `Limits raised for the run: the \`API_RATE_LIMIT\` binding's limit to 1,000,000 a minute (raised, not removed: every /v1 request still calls it), and the vars ${Object.entries(
      page.limits,
    )
      .map(([k, v]) => `\`${k}=${v}\``)
      .join(
        ", ",
      )}. An older tree without the binding keeps its RateLimiter Durable Object (one RPC per /v1 request, as it was). JWT_SECRET and ENCRYPTION_KEY are random per run.`,
    `Remote D1: the metered build (bench/d1/entry.ts, built from the same tree with that file as the entry; never in the deployed bundle, which the bench checks) wraps \`env.DB\` for the routes and for every Durable Object. Each D1 round trip (one statement, one \`batch()\`, \`exec()\` or \`dump()\`) waits half the delay before and half after the real call, and is counted as a read or a write (a batch writes if any of its statements does). Timings: ${s.d1.turns} plain and ${s.d1.turns} tool turns, each on a session with one open stream after a warm-up turn, one at a time; ${s.d1.gets} of each GET and of \`POST /v1/sessions\` one after another (after 2 unmeasured); "cold" is the first use of ${s.d1.coldKeys} seeded API keys no isolate has seen. A tool turn is "What time is it?" to an agent with the \`current_time\` capability (llmsim calls \`get_current_time\`).`,
    `Round trips are counted with each request alone, at ${Math.max(page.latencyMs, 10)} ms per call. A call is "on its path" if it had finished when the client saw the answer (for a turn: \`session.completed\`) and "after it" if it finished later. For turns, the Worker's calls are the POST route's and the session object's are the turn's. "seq." is the longest chain of calls each started after the previous one ended: the round trips waited for one after another. Turns are counted 3 times; a turn whose counts differ between repeats shows "varied" (for example when the API key's principal, cached for 30 s per isolate, expired just before one of them: one \`select api_keys\`).`,
    `Resume: a session with one real turn, its log then filled to ${s.resume.total} stored events in the object's own storage by the metered build's bench-only route (bench/d1/seed-events.ts) and the object restarted (Miniflare's eviction). Each point is read ${s.resume.repeats} times over SSE (\`GET …/sse?since_id=\`, timed to the first event and to the event at the head) and as a JSON page (\`GET …/events?since_id=…&limit=1000\`, \`Accept: application/json\`). The first SSE read after the restart is reported separately.`,
    `Fan-out: one session per size and transport; S subscribers connect first (SSE over node:http, one connection each; WebSocket with Node's global WebSocket and \`?access_token=\`), then one warm-up message, ${page.sizes.fanoutRun.rounds} messages one at a time (each waits until every subscriber has \`session.completed\`), then a burst of ${page.sizes.fanoutRun.burst} messages posted back to back (≥ 200 events per subscriber). Publish→receive is the event's \`ts\` (set by the object) to when this process parsed it, same clock; every event counts, deltas included. Deliveries count stored events against the session's stored log; "in order" is strictly increasing sequences, "complete" is every stored event of the session, each once. The bare rows: S clients wait on the bare Worker, one \`POST /publish?n=${page.sizes.fanoutRun.bareEvents}\` sends them ${page.sizes.fanoutRun.bareEvents} events each (WebSockets held by one Durable Object, since a socket cannot be written from another request). ${page.sizes.fanoutRun.timeLimitMs / 1000} s limit per size.`,
    `a, b: ${s.http.warmup} warm-up requests, then ${s.health} (a) / ${s.agents} (b) GETs at concurrency ${s.http.concurrency}, each capped at ${s.http.timeLimitMs / 1000} s. c: ${s.chat.sessionCount} sessions side by side, each with one open stream and a warm-up turn, then ${s.chat.turns} turns in all; the bare rows open \`/sse?n=<events of a turn>\` at the same concurrency.`,
  ];
}

const HOW_TO_READ = `## How to read this

- Local workerd is not Cloudflare's edge: D1 is a local SQLite file, Durable Objects run in the
  same process, and the load generator shares the machine's two cores with every Worker (and
  with whatever else runs on the machine: see the load average above). Compare runs on the same
  machine, read ratios and round-trip counts more than absolute figures, and treat differences
  of a few milliseconds as noise.
- The bare Worker is the ceiling of this machine, runtime and client in the same run: a real/bare
  rate ratio of 0.25× is a quarter of the ceiling's throughput.
- Percentiles are nearest-rank over the measured requests or events; warm-ups are not counted.
  Errors are non-2xx answers, network errors, time-outs and turns that did not end in
  \`session.completed\`; their latencies are left out.`;

function beforeLine(page) {
  const b = page.before;
  if (!b) return "- Before: not measured (run with `--before=<checkout>`; see bench/lib/args.mjs)";
  const how = page.beforeMeasuredNow
    ? "measured in this run"
    : `recorded on ${b.recorded.date} by \`${b.recorded.command}\` (bench/records/before.json)`;
  return `- Before: commit \`${b.remote.commit}\`${b.remote.dirty ? " plus uncommitted changes" : ""}, ${how}; built and run exactly as the after tree, with this checkout's wrangler, Miniflare and workerd`;
}

export function benchmarksPage(page) {
  const { after, before } = page;
  const L = page.latencyMs;
  const verdict = turnPathVerdict(after.remote);
  return `# Benchmarks

Generated by \`${page.command}\` (bench/run.mjs) on ${page.date}; the whole run took ${page.runSeconds} s.
Re-run it to refresh this page; it overwrites the whole file.

## Machine and build

${page.machine.map((m) => `- ${m}`).join("\n")}
- Load average when it ended: ${page.loadAtEnd}
- After: commit \`${page.tree.commit}\`${page.tree.dirty ? " plus uncommitted changes in the working tree" : ""}${page.tree.treeDir === ROOT ? "" : ` (a checkout at ${page.tree.treeDir}, measured with this checkout's harness)`}
${beforeLine(page)}

## Settings

${settings(page)
  .map((s) => `- ${s}`)
  .join("\n")}

## Remote D1, before and after

Medians in one run. "Before" is the tree given with \`--before\` (where sessions kept their data in D1), "after" this tree; both with no delay and with
${L} ms per D1 call.

${d1CompareTable(after.remote, before?.remote, L)}

Turn path at ${L} ms (target: 0 D1 writes, ≤ 1 D1 read round trip): ${verdict ? `at most ${verdict.writes} D1 writes and ${verdict.reads} D1 read round trips over the counted turns: ${verdict.met ? "met" : "**missed**"}` : "not counted"}.

${findings(page)
  .map((f) => `- ${f}`)
  .join("\n")}

### D1 round trips per route and per turn

${countsTable(after.remote, before?.remote)}

<details><summary>The statements behind each count</summary>

${statementsTable(after.remote, before?.remote)}

</details>

### Every timing, after

${d1DetailTable(after.remote)}
${before ? `\n### Every timing, before\n\n${d1DetailTable(before.remote)}\n` : ""}
## Resume at ${after.remote.resume.total.toLocaleString("en")} events (after)

First SSE read after the object restarted, from sequence 10: first event ${ms(after.remote.resume.coldStart.firstMs)} ms, all ${after.remote.resume.coldStart.received} events to the head ${ms(after.remote.resume.coldStart.headMs)} ms.

${resumeTable(after.remote.resume)}

## Fan-out

${after.live.wsReady ? "" : "WebSocket rows of the real Worker are skipped: `GET /v1/sessions/{id}/ws` answered 404 `route_not_found` (the route does not exist in this tree yet). The scenario is written against its contract and runs as soon as the route answers.\n\n"}${fanoutTable(after.live.fanout, after.live.wsReady)}

## Throughput and chat turns against the bare Worker

${resultsTable(after.live.pairs)}

${after.live.webhooks ? webhooksSection(after.live.webhooks) : ""}${HOW_TO_READ}
`;
}

/** The heading that starts the webhook section: `--only=webhooks` replaces the page from it to the next `## `. */
export const WEBHOOKS_HEADING = "## Webhooks through the local queue";

/** Scenario e's section (bench/lib/webhooks.mjs), with when and how it was measured. */
export function webhooksSection(w) {
  return `${WEBHOOKS_HEADING}

Measured on ${w.date} by \`${w.command}\`, commit \`${w.commit}\`${w.dirty ? " plus uncommitted changes" : ""}; load average ${w.load} at the end.
The real Worker as above, with \`ALLOW_PRIVATE_WEBHOOK_URLS=true\` and wrangler.toml's queues run by Miniflare's
local queue broker (the one \`wrangler dev\` uses: one batch at a time, \`max_batch_timeout = 0\`). A receiver on
127.0.0.1 in the bench's process verifies every delivery with \`standardwebhooks\` (${w.refused} refused). Throughput: ${w.sizes.endpoints}
endpoints of one org subscribed to \`session.idle\`, ${w.sizes.fanoutTurns} turns at once on as many sessions; each turn's event is
fanned out by the consumer to one delivery message per endpoint (per consumer batch of deliveries: one D1 read, the
signed POSTs at once, one D1 batch for the log); deliveries per second at the receiver, from the first arrival to the
last. Delay: then one endpoint, ${w.sizes.turns} llmsim turns over ${w.sizes.sessions} sessions, each with an open SSE stream, from the client reading \`session.completed\` to the receiver reading that turn's
\`session.idle\` (two queue hops: the object's event, then the consumer's delivery message; same clock).

${webhookTable(w)}

`;
}

/** What the console shows at the end of a run (the page's main tables). */
export function consoleSummary(page) {
  const L = page.latencyMs;
  const verdict = turnPathVerdict(page.after.remote);
  return [
    d1CompareTable(page.after.remote, page.before?.remote, L),
    `Turn path at ${L} ms: ${verdict ? `${verdict.writes} W, ${verdict.reads} R (${verdict.met ? "met" : "MISSED"})` : "—"}`,
    countsTable(page.after.remote, page.before?.remote),
    resumeTable(page.after.remote.resume),
    fanoutTable(page.after.live.fanout, page.after.live.wsReady),
    resultsTable(page.after.live.pairs),
    ...(page.after.live.webhooks ? [webhookTable(page.after.live.webhooks)] : []),
  ].join("\n\n");
}
