// What a turn adds around one MCP tool call, against the same call made directly from Node.
// server-everything (in this process) sits behind a proxy that delays every request by 25 ms, so
// each MCP round trip costs what a nearby remote server would. Measured:
//   direct  the SDK's client from Node: a fresh MCP session (initialize, initialized) and
//           tools/call echo, exactly what the Worker does for a call;
//   turn    llmsim turns in the built Worker (Miniflare, direct socket, no dev proxy) that call
//           mcp__bench__echo, against the same turns calling the built-in get_current_time: the
//           difference is what the MCP call adds to a turn. The tool list is cached by a warm-up
//           turn, as it is for every turn after a session's first within a minute.
// Our own overhead per call = (turn with MCP − turn with a built-in tool) − direct.
// Run: `npx node bench/mcp-call.mjs` (Node 22). Prints medians; docs/MCP.md records a run.
import http from "node:http";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startMcpHost } from "../test/fakes/mcp-everything.ts";
import { apiClient } from "./lib/api.mjs";
import { benchSecrets, freshDatabase, persistRoot, seedTenant } from "./lib/prepare.mjs";
import { WORK_DIR } from "./lib/proc.mjs";
import { openStream } from "./lib/sse-client.mjs";
import { buildTree } from "./lib/tree.mjs";
import { readTurn } from "./lib/turns.mjs";
import { startWorker } from "./lib/workers.mjs";

const DELAY_MS = 25;
const CALLS = Number(process.env.MCP_BENCH_CALLS ?? 30);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const say = (msg) => console.log(`[mcp-bench] ${msg}`);

/** A proxy on 127.0.0.1 that holds every request DELAY_MS before passing it on. */
async function delayingProxy(targetPort) {
  const server = http.createServer((req, res) => {
    setTimeout(() => {
      const upstream = http.request(
        { host: "127.0.0.1", port: targetPort, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    }, DELAY_MS);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

/**
 * One call as the Worker makes it: a fresh MCP session, then tools/call (the standalone GET stream
 * answered 405 locally, as src/mcp/client.ts does).
 */
async function directCall(url) {
  const t0 = performance.now();
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: (input, init) => (init?.method === "GET" ? Promise.resolve(new Response(null, { status: 405 })) : fetch(input, init)),
  });
  const client = new Client({ name: "bench", version: "0" }, { capabilities: {} });
  await client.connect(transport);
  const result = await client.callTool({ name: "echo", arguments: { message: "bench" } });
  const ms = performance.now() - t0;
  if (result.isError) throw new Error("echo failed");
  void transport.terminateSession().finally(() => client.close());
  return ms;
}

async function turns(api, agentId, text, count) {
  const session = await api.createSession(agentId);
  const stream = await openStream(api.sseUrl(session.id), api.auth);
  await stream.ready;
  const times = [];
  try {
    for (let i = 0; i <= count; i += 1) {
      const t0 = performance.now();
      const { status } = await api.sendMessage(session.id, text);
      if (status !== 201) throw new Error(`message answered ${status}`);
      const turn = await readTurn(stream, t0);
      if (turn.completedMs === null || turn.failed) throw new Error("a turn failed or timed out");
      if (i > 0) times.push(turn.completedMs); // the first turn lists the tools and warms up
    }
  } finally {
    stream.close();
  }
  const events = await api.allEvents(session.id);
  const inTurn = [];
  const calls = new Map(
    events.filter((e) => e.type === "tool.call").map((e) => [e.data.tool_call.id + e.context.turn_id, Date.parse(e.ts)]),
  );
  for (const e of events.filter((x) => x.type === "tool.result")) {
    const at = calls.get(e.data.tool_call_id + e.context.turn_id);
    if (at !== undefined) inTurn.push(Date.parse(e.ts) - at);
    if (e.data.status !== "success") throw new Error(`a tool call failed: ${JSON.stringify(e.data)}`);
  }
  return { turn: median(times), callInTurn: median(inTurn.slice(1)) };
}

const host = await startMcpHost();
const proxy = await delayingProxy(host.sharedPort);
const url = `http://127.0.0.1:${proxy.port}/mcp`;
say(`server-everything behind a ${DELAY_MS} ms proxy at ${url}`);

const direct = [];
await directCall(url); // warm-up
for (let i = 0; i < CALLS; i += 1) direct.push(await directCall(url));
say(`direct from Node: median ${median(direct).toFixed(1)} ms over ${CALLS} calls`);

const tree = await buildTree(process.cwd(), "mcpbench");
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
  const server = await api.call("POST", "/v1/mcp-servers", { name: "bench", url }, 201);
  const mcpAgent = await api.createAgent([`mcp:${server.id}`]);
  const builtinAgent = await api.createAgent(["current_time"]);
  const withMcp = await turns(api, mcpAgent.id, 'call mcp__bench__echo {"message": "bench"}', CALLS);
  const withBuiltin = await turns(api, builtinAgent.id, "call get_current_time", CALLS);
  const added = withMcp.turn - withBuiltin.turn;
  say(`turn with the MCP call: median ${withMcp.turn.toFixed(1)} ms; with get_current_time: ${withBuiltin.turn.toFixed(1)} ms`);
  say(`the MCP call adds ${added.toFixed(1)} ms to a turn; tool.call → tool.result inside the turn: median ${withMcp.callInTurn} ms`);
  say(`our overhead per call: ${(added - median(direct)).toFixed(1)} ms (added − direct ${median(direct).toFixed(1)} ms)`);
} finally {
  await worker.stop();
  await proxy.close();
  await host.close();
}
process.exit(0);
