/**
 * A fake LLM provider for tests: one Node HTTP server speaking the real streaming wire formats
 * of OpenAI Chat Completions and Anthropic Messages. The scenario is chosen by the base URL's
 * path; see README.md next to this file for the URL scheme and the scenario list.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { anthropicWire } from "./anthropic-wire";
import { openAiWire } from "./openai-wire";
import { planScenario, type Step } from "./scenarios";
import { isObject, type JsonObject, type WireFormat } from "./wire";

/** What the server saw last for one base path, served by `GET /__last?base=<base path>`. */
interface RecordedRequest {
  count: number;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: JsonObject;
}

export interface FakeLlmServer {
  port: number;
  close(): Promise<void>;
}

const ROUTE = /^\/(openai|anthropic)\/scenario\/([a-z0-9_]+)((?:\/[^/]+)*?)(\/chat\/completions|\/v1\/messages)$/;
const WIRES: Record<string, { wire: WireFormat; endpoint: string }> = {
  openai: { wire: openAiWire, endpoint: "/chat/completions" },
  anthropic: { wire: anthropicWire, endpoint: "/v1/messages" },
};

/** Starts the fake on 127.0.0.1 and a free port. */
export async function startFakeLlmServer(): Promise<FakeLlmServer> {
  const recorded = new Map<string, RecordedRequest>();
  const server = createServer((req, res) => {
    handle(req, res, recorded).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { port, close: () => closeServer(server) };
}

async function handle(req: IncomingMessage, res: ServerResponse, recorded: Map<string, RecordedRequest>): Promise<void> {
  const url = new URL(req.url ?? "/", "http://fake");
  if (req.method === "GET" && url.pathname === "/__last") {
    const entry = recorded.get(url.searchParams.get("base") ?? "");
    return sendJson(res, entry ? 200 : 404, entry ?? { error: "nothing recorded for that base path" });
  }
  const route = ROUTE.exec(url.pathname);
  const format = route ? WIRES[route[1] ?? ""] : undefined;
  if (!route || !format || format.endpoint !== route[4] || req.method !== "POST")
    return sendJson(res, 404, { error: "no such fake endpoint" });
  const scenario = route[2] ?? "";
  const base = url.pathname.slice(0, -format.endpoint.length);

  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return sendJson(res, 400, format.wire.errorBody(400));
  }
  if (!isObject(body)) return sendJson(res, 400, format.wire.errorBody(400));
  recorded.set(base, { count: (recorded.get(base)?.count ?? 0) + 1, method: req.method, path: url.pathname, headers: req.headers, body });

  if (!format.wire.authenticated(req.headers)) return sendJson(res, 401, format.wire.errorBody(401));
  if (body.stream !== true) return sendJson(res, 400, format.wire.errorBody(400));
  const plan = planScenario(scenario, format.wire, body);
  if (!plan) return sendJson(res, 404, { error: `unknown scenario ${scenario}` });
  if (plan.kind === "status") return sendJson(res, plan.status, plan.body, plan.headers);
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  res.flushHeaders();
  await play(res, plan.steps);
}

/** Runs a stream plan; stops quietly when the client goes away. */
async function play(res: ServerResponse, steps: Step[]): Promise<void> {
  let gone = false;
  res.on("close", () => {
    gone = true;
  });
  for (const step of steps) {
    if (gone) return;
    if ("sleep" in step) await delay(step.sleep);
    else if ("destroy" in step) return void res.socket?.destroy();
    else if ("hang" in step) return;
    else if (step.splitWrite) {
      const half = Math.ceil(step.write.length / 2);
      await write(res, step.write.slice(0, half));
      await delay(2);
      if (!gone) await write(res, step.write.slice(half));
    } else {
      await write(res, step.write);
    }
  }
  if (!gone) res.end();
}

/** Resolves once the data reached the socket, so a later `destroy` cannot discard it. */
function write(res: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    res.write(data, () => resolve());
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Closes the server, cutting hung responses rather than waiting for them. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
