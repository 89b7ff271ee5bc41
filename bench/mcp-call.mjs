// What a turn adds around one MCP tool call, against the same call made directly from Node.
// server-everything sits behind proxies that hold every request 25 ms, so each MCP round trip
// costs what a nearby remote server would. They run in a process of their own
// (bench/lib/mcp-servers.mjs), as a remote server would, undisturbed by this process reading the
// turns' event streams. Measured, interleaved call by call (so a change in the machine's load
// falls on every series alike):
//   direct  the SDK's client in a Node process of its own (bench/lib/mcp-direct.mjs), on an MCP
//           session it keeps (initialized once, before the measured calls): each call is one
//           tools/call echo, as a turn's call is on the session object's kept MCP session
//           (src/mcp/session-pool.ts);
//   turn    llmsim turns in the built Worker (Miniflare, direct socket, no dev proxy) that call
//           mcp__bench__echo, against the same turns calling the built-in get_current_time: the
//           difference is what the MCP call adds to a turn. A warm-up turn lists the tools and
//           opens the MCP session, as a session's first turn does.
// Node and the Worker reach the server through proxies of their own, which count the requests
// each side makes after its warm-up: both must make the same round trips (one tools/call a call).
// Our own overhead per call = (turn with MCP − turn with a built-in tool) − direct.
// Run: `MCP_BENCH_CALLS=40 npx node bench/mcp-call.mjs` (Node 22). Prints medians and adds a row to
// the MCP section of docs/BENCHMARKS.md (bench/lib/mcp-report.mjs).
// Another checkout's Worker: MCP_BENCH_TREE=<dir> (a git checkout with node_modules); for a Worker
// that opens an MCP session per call, MCP_BENCH_FRESH=1 makes the direct client do the same.
import { loadavg } from "node:os";
import { join } from "node:path";
import { apiClient } from "./lib/api.mjs";
import { startDirectClient } from "./lib/mcp-direct.mjs";
import { recordMcpRun } from "./lib/mcp-report.mjs";
import { startMcpServers } from "./lib/mcp-servers.mjs";
import { benchSecrets, freshDatabase, persistRoot, seedTenant } from "./lib/prepare.mjs";
import { WORK_DIR } from "./lib/proc.mjs";
import { openStream } from "./lib/sse-client.mjs";
import { buildTree } from "./lib/tree.mjs";
import { readTurn } from "./lib/turns.mjs";
import { startWorker } from "./lib/workers.mjs";

const CALLS = Number(process.env.MCP_BENCH_CALLS ?? 30);
const TREE = process.env.MCP_BENCH_TREE ?? process.cwd();
const FRESH = process.env.MCP_BENCH_FRESH === "1";
const loadAtStart = loadavg()[0].toFixed(2);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const say = (msg) => console.log(`[mcp-bench] ${msg}`);

/** A session of `agentId` with its event stream open; `turn` sends `text` and times it to session.completed. */
async function turnSeries(api, agentId, text) {
  const session = await api.createSession(agentId);
  const stream = await openStream(api.sseUrl(session.id), api.auth);
  await stream.ready;
  return {
    async turn() {
      const t0 = performance.now();
      const { status } = await api.sendMessage(session.id, text);
      if (status !== 201) throw new Error(`message answered ${status}`);
      const turn = await readTurn(stream, t0);
      if (turn.completedMs === null || turn.failed) throw new Error("a turn failed or timed out");
      return turn.completedMs;
    },
    /** tool.call → tool.result of each turn after the first, by the object's clock (1 ms steps). */
    async callsInTurns() {
      stream.close();
      const events = await api.allEvents(session.id);
      const calls = new Map(
        events.filter((e) => e.type === "tool.call").map((e) => [e.data.tool_call.id + e.context.turn_id, Date.parse(e.ts)]),
      );
      const inTurn = [];
      for (const e of events.filter((x) => x.type === "tool.result")) {
        if (e.data.status !== "success") throw new Error(`a tool call failed: ${JSON.stringify(e.data)}`);
        const at = calls.get(e.data.tool_call_id + e.context.turn_id);
        if (at !== undefined) inTurn.push(Date.parse(e.ts) - at);
      }
      return inTurn.slice(1);
    },
  };
}

const servers = await startMcpServers();
say(`server-everything behind ${servers.delayMs} ms proxies; ${CALLS} calls each way, interleaved; the Worker of ${TREE}`);

const tree = await buildTree(TREE, "mcpbench");
const stateDir = join(WORK_DIR, "state", "mcpbench");
await freshDatabase(tree.appDir, stateDir);
const tenant = await seedTenant(tree.appDir, stateDir);
const worker = await startWorker({
  name: "mcpbench",
  configPath: tree.configPath,
  modules: tree.modules.real,
  vars: { ...benchSecrets(), ALLOW_PRIVATE_MCP_URLS: "true", LLMSIM_WORD_DELAY_MS: "0" },
  persistRoot: persistRoot(stateDir),
  logFile: join(WORK_DIR, "mcpbench.log"),
});
try {
  const api = apiClient(worker.base, tenant.apiKey);
  const server = await api.call("POST", "/v1/mcp-servers", { name: "bench", url: servers.workerUrl }, 201);
  const mcpAgent = await api.createAgent([`mcp:${server.id}`]);
  const builtinAgent = await api.createAgent(["current_time"]);
  const node = await startDirectClient(servers.nodeUrl, { fresh: FRESH });
  const withMcp = await turnSeries(api, mcpAgent.id, 'call mcp__bench__echo {"message": "bench"}');
  const withBuiltin = await turnSeries(api, builtinAgent.id, "call get_current_time");
  // Warm-up: Node's session is open; one call each, and the MCP session's first turn lists the tools.
  await node.call();
  await withMcp.turn();
  await withBuiltin.turn();
  await servers.takeCounts();
  const direct = [];
  const mcpTurns = [];
  const builtinTurns = [];
  for (let i = 0; i < CALLS; i += 1) {
    direct.push(await node.call());
    mcpTurns.push(await withMcp.turn());
    builtinTurns.push(await withBuiltin.turn());
  }
  const { node: nodeCounts, worker: workerCounts } = await servers.takeCounts();
  await node.close();
  const inTurn = await withMcp.callsInTurns();
  await withBuiltin.callsInTurns();
  const added = median(mcpTurns) - median(builtinTurns);
  say(`requests after the warm-up: Node ${JSON.stringify(nodeCounts)}, the Worker ${JSON.stringify(workerCounts)}`);
  say(`direct from Node: median ${median(direct).toFixed(1)} ms`);
  say(`turn with the MCP call: median ${median(mcpTurns).toFixed(1)} ms; with get_current_time: ${median(builtinTurns).toFixed(1)} ms`);
  say(`the MCP call adds ${added.toFixed(1)} ms to a turn; tool.call → tool.result inside the turn: median ${median(inTurn)} ms`);
  say(`our overhead per call: ${(added - median(direct)).toFixed(1)} ms (added − direct ${median(direct).toFixed(1)} ms)`);
  const paired = direct.map((d, i) => mcpTurns[i] - builtinTurns[i] - d);
  say(`the same, call by call (MCP turn − built-in turn − direct of one round): median ${median(paired).toFixed(1)} ms`);
  if (TREE === process.cwd()) {
    const perCall = (counts) =>
      Object.entries(counts)
        .map(([kind, n]) => `${kind} ${+(n / CALLS).toFixed(2)}`)
        .join(", ");
    const page = recordMcpRun([
      new Date().toISOString().slice(0, 16).replace("T", " "),
      `${tree.commit}${tree.dirty ? " (dirty)" : ""}`,
      `${loadAtStart} / ${loadavg()[0].toFixed(2)}`,
      `${perCall(nodeCounts)} / ${perCall(workerCounts)}`,
      median(direct).toFixed(1),
      String(median(inTurn)),
      added.toFixed(1),
      (added - median(direct)).toFixed(1),
    ]);
    say(`recorded in ${page}`);
  }
} finally {
  await worker.stop();
  await servers.close();
}
process.exit(0);
