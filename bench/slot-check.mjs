// How soon a client that vanishes without closing (its TCP connection just drops) gives its
// stream slot back. The Worker is served by Miniflare on a direct socket (no dev proxy), with a
// per-caller cap of 5: open 5 SSE streams, one more (429), drop one client's connection, and
// reconnect every 20 ms until a stream is accepted. Run: `node bench/slot-check.mjs` (Node 22:
// `npx node bench/slot-check.mjs`).
import http from "node:http";
import { join } from "node:path";
import { benchSecrets, freshDatabase, persistRoot, seedTenant } from "./lib/prepare.mjs";
import { buildTree } from "./lib/tree.mjs";
import { startWorker } from "./lib/workers.mjs";

const tree = await buildTree(process.cwd(), "slotcheck");
const stateDir = join(process.cwd(), ".wrangler/bench/slotcheck-state");
await freshDatabase(tree.appDir, stateDir);
const tenant = await seedTenant(tree.appDir, stateDir);
const w = await startWorker({
  name: "slot",
  configPath: tree.configPath,
  modules: tree.modules.real,
  vars: { ...benchSecrets(), SSE_MAX_STREAMS_PER_CALLER: "5" },
  persistRoot: persistRoot(stateDir),
  logFile: "/tmp/lead-slot.log",
});
const H = { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json" };
const j = async (path, body) =>
  (await fetch(w.base + path, { method: body ? "POST" : "GET", headers: H, body: body && JSON.stringify(body) })).json();
const agent = await j("/v1/agents", { name: "a", system_prompt: "p" });
const session = await j("/v1/sessions", { agent_id: agent.id });
const open = () =>
  new Promise((resolve) => {
    const req = http.get(`${w.base}/v1/sessions/${session.id}/sse`, { headers: H }, (res) => resolve({ status: res.statusCode, req, res }));
  });
const streams = [];
for (let i = 0; i < 5; i++) streams.push(await open());
console.log(
  "opened",
  streams.map((s) => s.status),
);
const sixth = await open();
console.log("6th", sixth.status);
sixth.req.destroy();
streams[0].req.destroy(); // the client vanishes: its TCP connection closes
const t0 = Date.now();
for (;;) {
  const s = await open();
  if (s.status === 200) {
    console.log("reconnect after", Date.now() - t0, "ms");
    s.req.destroy();
    break;
  }
  s.req.destroy();
  if (Date.now() - t0 > 40000) {
    console.log("still 429 after 40 s");
    break;
  }
  await new Promise((r) => setTimeout(r, 20));
}
await w.stop();
process.exit(0);
