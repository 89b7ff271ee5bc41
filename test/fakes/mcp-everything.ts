/**
 * Real MCP servers for tests: `@modelcontextprotocol/server-everything`'s own server factory,
 * served over the SDK's Streamable HTTP server transport on 127.0.0.1 and a free port, one
 * listener per instance (the wiring of the package's `streamableHttp` entry point, which listens
 * on every interface and a fixed port, so it is not started as is).
 *
 * A control server (also on 127.0.0.1) lets tests in workerd start their own instance, read what
 * it received (JSON-RPC methods, tool names and request headers) and stop it:
 *   POST /servers[?stateless=1]     → {port} (stateless: the SDK's mode without MCP sessions)
 *   GET  /servers/<port>/requests   → {data: [{http, method, tool, headers}]}
 *   POST /servers/<port>/stop       → 204; the port refuses connections from then on
 *   POST /servers/<port>/forget?status=404|400
 *                                   → 204; the instance ends its MCP sessions as a server that
 *                                     expired them would, and answers their ids with that status
 *                                     (404 as the protocol says; 400, the default, as the package's
 *                                     own entry point answers any id it does not know)
 */
import { randomUUID } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createServer as createEverythingServer } from "@modelcontextprotocol/server-everything/dist/server/index.js";

/** One request an instance received. */
interface McpRecordedRequest {
  /** The HTTP method (POST for JSON-RPC messages, DELETE to end a session, GET for a stream). */
  http: string;
  method: string | null;
  tool: string | null;
  headers: Record<string, string | string[] | undefined>;
}

interface Instance {
  port: number;
  server: Server;
  sockets: Set<Socket>;
  requests: McpRecordedRequest[];
  /** Ends every MCP session; an id it no longer knows is answered with `status` from then on. */
  forget(status: number): Promise<void>;
  close(): Promise<void>;
}

export interface McpHost {
  /** Port of the control server. */
  controlPort: number;
  /** Port of an instance started with the host, for tests that only list and call. */
  sharedPort: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Starts one everything server on 127.0.0.1 and a free port. */
/**
 * Answers one request in the SDK's stateless mode: a server of its own, no `Mcp-Session-Id`
 * (the everything server as a deployment that keeps no sessions would run it).
 */
async function handleStateless(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
  if (req.method !== "POST")
    return sendJson(res, 405, { jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed" }, id: null });
  const { server, cleanup } = createEverythingServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on("close", () => {
    void transport.close();
    cleanup();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

/** Starts one everything server on 127.0.0.1 and a free port; `stateless` gives it no MCP sessions. */
async function startInstance(stateless = false): Promise<Instance> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const cleanups: Array<() => void> = [];
  const requests: McpRecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let unknownSessionStatus = 400;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (new URL(req.url ?? "/", "http://host").pathname !== "/mcp") return sendJson(res, 404, { error: "not found" });
    const sessionId = req.headers["mcp-session-id"];
    let body: unknown;
    if (req.method === "POST") {
      const text = await readBody(req);
      try {
        body = JSON.parse(text);
      } catch {
        return sendJson(res, 400, { jsonrpc: "2.0", error: { code: -32700, message: "Parse error" }, id: null });
      }
    }
    const messages = Array.isArray(body) ? body : body === undefined ? [] : [body];
    for (const m of messages as Array<{ method?: unknown; params?: { name?: unknown } }>) {
      requests.push({
        http: req.method ?? "",
        method: typeof m.method === "string" ? m.method : null,
        tool: m.method === "tools/call" && typeof m.params?.name === "string" ? m.params.name : null,
        headers: { ...req.headers },
      });
    }
    if (messages.length === 0) requests.push({ http: req.method ?? "", method: null, tool: null, headers: { ...req.headers } });
    if (stateless) return handleStateless(req, res, body);

    if (typeof sessionId === "string" && transports.has(sessionId)) {
      await transports.get(sessionId)?.handleRequest(req, res, body);
      return;
    }
    if (sessionId !== undefined && unknownSessionStatus === 404) {
      return sendJson(res, 404, { jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null });
    }
    if (sessionId !== undefined || req.method !== "POST") {
      return sendJson(res, 400, {
        jsonrpc: "2.0",
        error: { code: -32000, message: "Bad Request: No valid session ID provided" },
        id: null,
      });
    }
    const { server, cleanup } = createEverythingServer();
    cleanups.push(() => cleanup());
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        transports.set(id, transport);
      },
    });
    server.server.onclose = async () => {
      const id = transport.sessionId;
      if (id && transports.delete(id)) cleanup(id);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const server = createHttpServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { jsonrpc: "2.0", error: { code: -32603, message: "Internal error" }, id: null });
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      const open = [...transports.values()];
      transports.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      void Promise.allSettled(open.map((t) => t.close()));
      for (const c of cleanups) c();
      await stopped;
    })();
    return closed;
  };
  const forget = async (status: number) => {
    unknownSessionStatus = status;
    // Closing a session's transport runs the server's own cleanup (onclose above) for it.
    await Promise.allSettled([...transports.values()].map((t) => t.close()));
    transports.clear();
  };
  return { port, server, sockets, requests, forget, close };
}

/** Starts the control server and one shared instance. */
export async function startMcpHost(): Promise<McpHost> {
  const instances = new Map<number, Instance>();
  const shared = await startInstance();
  instances.set(shared.port, shared);

  const control = createHttpServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? "/", "http://control").pathname;
      if (req.method === "POST" && path === "/servers") {
        const instance = await startInstance(new URL(req.url ?? "/", "http://control").searchParams.get("stateless") === "1");
        instances.set(instance.port, instance);
        return sendJson(res, 201, { port: instance.port });
      }
      const match = /^\/servers\/(\d+)\/(requests|stop|forget)$/.exec(path);
      const instance = match ? instances.get(Number(match[1])) : undefined;
      if (!match || !instance) return sendJson(res, 404, { error: "no such instance" });
      if (req.method === "GET" && match[2] === "requests") return sendJson(res, 200, { data: instance.requests });
      if (req.method === "POST" && match[2] === "forget") {
        await instance.forget(new URL(req.url ?? "/", "http://control").searchParams.get("status") === "404" ? 404 : 400);
        res.writeHead(204).end();
        return;
      }
      if (req.method === "POST" && match[2] === "stop") {
        await instance.close();
        res.writeHead(204).end();
        return;
      }
      return sendJson(res, 405, { error: "method not allowed" });
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  const { port: controlPort } = control.address() as AddressInfo;
  return {
    controlPort,
    sharedPort: shared.port,
    close: async () => {
      await Promise.allSettled([...instances.values()].map((i) => i.close()));
      await new Promise<void>((resolve) => control.close(() => resolve()));
    },
  };
}
