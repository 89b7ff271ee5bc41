// The bench's MCP servers, in a Node process of their own: server-everything (test/fakes/) behind
// two proxies that hold every request DELAY_MS, one for the direct Node client and one for the
// Worker, each counting the requests that pass it. In their own process they are not slowed by
// the bench reading the turns' event streams at the moment a call is in flight, and both clients
// reach them across a process boundary alike.
import { fork } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";

const DELAY_MS = 25;

/** What a request is, for the proxy's count: its JSON-RPC method, else its HTTP method. */
function kindOf(httpMethod, body) {
  try {
    const message = JSON.parse(body);
    if (typeof message.method === "string") return message.method;
  } catch {}
  return httpMethod;
}

/** A proxy on 127.0.0.1 that holds every request DELAY_MS before passing it on, and counts the requests by kind. */
async function delayingProxy(targetPort) {
  const counts = new Map();
  const forward = (req, res, body) => {
    const upstream = http.request(
      { host: "127.0.0.1", port: targetPort, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    upstream.end(body);
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const kind = kindOf(req.method, body.toString("utf8"));
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
      setTimeout(() => forward(req, res, body), DELAY_MS);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/mcp`,
    /** The requests counted since the last take, by kind. */
    takeCounts() {
      const taken = Object.fromEntries([...counts].sort());
      counts.clear();
      return taken;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

/** Starts the server process; `takeCounts` returns each proxy's counts since the last take. */
export async function startMcpServers() {
  const child = fork(fileURLToPath(import.meta.url), ["serve"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const replies = [];
  const waiting = [];
  child.on("message", (m) => (waiting.length > 0 ? waiting.shift()(m) : replies.push(m)));
  const next = () => new Promise((resolve) => (replies.length > 0 ? resolve(replies.shift()) : waiting.push(resolve)));
  const ready = await next();
  return {
    delayMs: DELAY_MS,
    nodeUrl: ready.nodeUrl,
    workerUrl: ready.workerUrl,
    async takeCounts() {
      child.send({ op: "counts" });
      return next();
    },
    async close() {
      child.send({ op: "close" });
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

async function serve() {
  const { startMcpHost } = await import("../../test/fakes/mcp-everything.ts");
  const host = await startMcpHost();
  const nodeProxy = await delayingProxy(host.sharedPort);
  const workerProxy = await delayingProxy(host.sharedPort);
  process.on("message", async ({ op }) => {
    if (op === "counts") process.send({ node: nodeProxy.takeCounts(), worker: workerProxy.takeCounts() });
    if (op === "close") {
      await Promise.all([nodeProxy.close(), workerProxy.close()]);
      await host.close();
      process.exit(0);
    }
  });
  // The bench gone (it failed or was stopped): nothing is left listening.
  process.on("disconnect", () => process.exit(0));
  process.send({ nodeUrl: nodeProxy.url, workerUrl: workerProxy.url });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === "serve") await serve();
