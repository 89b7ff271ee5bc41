// The bench's "directly from Node" MCP client, in a Node process of its own: the Worker reaches the
// proxy from its own process (workerd), so the direct calls cross a process boundary too, instead
// of sharing the event loop of the proxy and the server they call.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/**
 * Starts the client process on an MCP session it keeps for `url` (initialized once, the standalone
 * GET stream answered 405 locally, as src/mcp/client.ts does). `call` times one tools/call echo in
 * the child, so the message passing is not in the figure. With `fresh`, each call opens an MCP
 * session of its own and ends it without waiting (initialize, initialized, tools/call, then DELETE),
 * as a Worker that keeps no session does.
 */
export async function startDirectClient(url, { fresh = false } = {}) {
  const args = fresh ? [url, "fresh"] : [url];
  const child = fork(fileURLToPath(import.meta.url), args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const replies = [];
  const waiting = [];
  child.on("message", (m) => (waiting.length > 0 ? waiting.shift()(m) : replies.push(m)));
  child.on("exit", (code) => {
    for (const w of waiting.splice(0)) w({ error: `the direct client exited (${code})` });
  });
  const next = () => new Promise((resolve) => (replies.length > 0 ? resolve(replies.shift()) : waiting.push(resolve)));
  const ask = async (command) => {
    child.send(command);
    const reply = await next();
    if (reply.error) throw new Error(reply.error);
    return reply;
  };
  await ask({ op: "open" });
  return {
    call: async () => (await ask({ op: "call" })).ms,
    close: async () => {
      await ask({ op: "close" });
      child.disconnect();
    },
  };
}

async function open(url) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: (input, init) => (init?.method === "GET" ? Promise.resolve(new Response(null, { status: 405 })) : fetch(input, init)),
  });
  const client = new Client({ name: "bench", version: "0" }, { capabilities: {} });
  await client.connect(transport);
  return { client, close: () => transport.terminateSession().finally(() => client.close()) };
}

async function serve(url, fresh) {
  let kept = null;
  process.on("disconnect", () => process.exit(0)); // the bench is gone
  process.on("message", async ({ op }) => {
    try {
      if (op === "open") {
        if (!fresh) kept = await open(url);
        process.send({});
      } else if (op === "call") {
        const t0 = performance.now();
        const session = kept ?? (await open(url));
        const result = await session.client.callTool({ name: "echo", arguments: { message: "bench" } });
        const ms = performance.now() - t0;
        if (!kept) void session.close();
        process.send(result.isError ? { error: "echo failed" } : { ms });
      } else if (op === "close") {
        await kept?.close();
        process.send({});
      }
    } catch (err) {
      process.send({ error: String(err) });
    }
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await serve(process.argv[2], process.argv[3] === "fresh");
