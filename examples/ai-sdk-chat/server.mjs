// The example's tiny server (`npm run example:ai-sdk-chat`, with `npm run dev` running): builds
// app.tsx with esbuild, creates an agent (the built-in weather tool, and the math tools behind the
// approval gate) and a session on the API, then serves the page and forwards `/v1/…` to the API
// with the API key, so the page needs no key and no CORS.
//
// API_URL (default http://127.0.0.1:8787), EVERRUNS_API_KEY (default the local dev key of
// `npm run dev`), PORT (default 5173; 0 picks a free one).
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const DEV_KEY = `evr_${"d".repeat(64)}`; // LOCAL-DEV-ONLY: the key `npm run dev` seeds

/** Bundles the page's script (React, the AI SDK) into one file, in memory. */
async function bundle() {
  const result = await build({
    entryPoints: [join(here, "app.tsx")],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"production"' },
    write: false,
    logLevel: "warning",
  });
  return result.outputFiles[0].contents;
}

/** Creates the example's agent and session; returns the session id. */
async function createSession(apiUrl, apiKey) {
  const call = async (path, body) => {
    const res = await fetch(`${apiUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
    return res.json();
  };
  const agent = await call("/v1/agents", {
    name: "AI SDK chat example",
    system_prompt: "You are a helpful assistant.",
    // The weather tool runs at once; the math tools wait for a person's approval.
    capabilities: ["test_weather", { ref: "test_math", config: { require_approval: true } }],
  });
  return (await call("/v1/sessions", { agent_id: agent.id })).id;
}

/** Starts the example; resolves with its URL and a `close()`. */
export async function startExample({
  apiUrl = process.env.API_URL ?? "http://127.0.0.1:8787",
  apiKey = process.env.EVERRUNS_API_KEY ?? DEV_KEY,
  port = Number(process.env.PORT ?? 5173),
} = {}) {
  const [script, html, sessionId] = await Promise.all([bundle(), readFile(join(here, "index.html")), createSession(apiUrl, apiKey)]);
  const server = createServer(async (req, res) => {
    try {
      if (req.url === "/" || req.url === "/index.html")
        return void res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
      if (req.url === "/app.js") return void res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(script);
      if (req.url === "/config.json")
        return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ sessionId }));
      if (!req.url?.startsWith("/v1/")) return void res.writeHead(404).end();
      // Forward to the API with the key; the answer (a stream, a 204, a problem) goes back as it is.
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : Readable.toWeb(req);
      const upstream = await fetch(`${apiUrl}${req.url}`, {
        method: req.method,
        headers: { authorization: `Bearer ${apiKey}`, "content-type": req.headers["content-type"] ?? "application/json" },
        body,
        duplex: "half",
      });
      res.writeHead(
        upstream.status,
        Object.fromEntries([...upstream.headers].filter(([name]) => name !== "content-encoding" && name !== "content-length")),
      );
      if (!upstream.body) return void res.end();
      const stream = Readable.fromWeb(upstream.body);
      res.on("close", () => stream.destroy());
      stream.pipe(res);
    } catch (err) {
      res.writeHead(502).end(String(err));
    }
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, sessionId, close: () => new Promise((resolve) => server.close(resolve)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url, sessionId } = await startExample();
  console.log(`AI SDK chat example: ${url} (session ${sessionId})`);
}
