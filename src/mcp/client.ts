import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, ListToolsResultSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";

/**
 * The one client of remote MCP servers (Streamable HTTP), built on the official SDK's `Client` and
 * `StreamableHTTPClientTransport`: they negotiate the protocol version, carry `Mcp-Session-Id`,
 * and read both JSON and SSE answers. This file is the only place that knows how to call a server
 * and how its failures map to the catalogue's codes (`mcp_unavailable`, `mcp_timeout`).
 *
 * `listMcpTools` and `callMcpTool` open an MCP session for one operation and end it; a turn's
 * calls go through session-pool.ts, which keeps a server's session for the session object's later
 * operations.
 */

/** The oldest protocol revision this API speaks (docs/MCP.md). */
const MIN_PROTOCOL_VERSION = "2025-06-18";

/** Why an MCP operation failed, as the catalogue names it. */
export type McpFailureCode = "mcp_unavailable" | "mcp_timeout";

/**
 * A failed MCP operation. The message is safe to log and to show the model: it names what went
 * wrong (an HTTP status, a JSON-RPC error code, a timeout), never a header or a response body.
 */
export class McpFailure extends Error {
  readonly code: McpFailureCode;
  constructor(code: McpFailureCode, message: string) {
    super(message);
    this.name = "McpFailure";
    this.code = code;
  }
}

/** Where a server is and what to send it (decrypted headers: never log them). */
export interface McpTarget {
  url: string;
  headers: Record<string, string>;
}

export interface McpCallOptions {
  /** How long the whole operation (initialize included) may take. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Outbound fetch (the bench and tests may pass their own). */
  fetch?: typeof fetch | undefined;
}

/** A tool of a server, as the API shows it. */
export interface McpToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** What a `tools/call` answered. */
export interface McpToolResult {
  /** The text of the result's text blocks, joined by newlines ("" when there are none). */
  text: string;
  /** The result's other content blocks (images, resources, links), as the server sent them. */
  content: unknown[];
  structured: unknown;
  isError: boolean;
}

/** At most this many pages of `tools/list` are read (a server that pages forever is cut off). */
const MAX_TOOL_PAGES = 20;

const CLIENT_INFO = { name: "everruns-edge", version: "0.1.0" };

/** An operation's failure as McpFailure (a timeout when `deadline` passed first). */
function failureOf(err: unknown, deadline: AbortSignal): McpFailure {
  if (err instanceof McpFailure) return err;
  if (deadline.aborted || (err instanceof McpError && err.code === ErrorCode.RequestTimeout)) {
    return new McpFailure("mcp_timeout", "The MCP server did not answer in time");
  }
  if (err instanceof McpError) return new McpFailure("mcp_unavailable", `The MCP server answered with JSON-RPC error ${err.code}`);
  const status = typeof err === "object" && err !== null && "code" in err && typeof err.code === "number" ? err.code : null;
  if (status !== null && status >= 100 && status < 600) return new McpFailure("mcp_unavailable", `The MCP server answered HTTP ${status}`);
  return new McpFailure("mcp_unavailable", "The MCP server could not be reached");
}

/** An initialized MCP session with a server: the SDK's client over its transport. */
export interface McpConnection {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

/**
 * Opens an MCP session (initialize, then notifications/initialized) within `signal`. A server
 * speaking a revision older than MIN_PROTOCOL_VERSION is refused (McpFailure); any failure ends
 * what was opened before it is thrown.
 */
export async function openMcpSession(target: McpTarget, options: McpCallOptions, signal: AbortSignal): Promise<McpConnection> {
  const outbound = options.fetch ?? fetch;
  const transport = new StreamableHTTPClientTransport(new URL(target.url), {
    requestInit: { headers: target.headers },
    fetch: (input, init) =>
      // The transport opens a standalone GET stream for server-initiated messages after
      // initializing; tool calls never need one. A 405 is the protocol's "no such stream", so it
      // is answered here without a request.
      init?.method === "GET" ? Promise.resolve(new Response(null, { status: 405 })) : outbound(input, init),
  });
  const client = new Client(CLIENT_INFO, { capabilities: {}, jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  const connection = { client, transport };
  try {
    await client.connect(transport, { signal, timeout: options.timeoutMs, maxTotalTimeout: options.timeoutMs });
    const version = transport.protocolVersion;
    if (version === undefined || version < MIN_PROTOCOL_VERSION) {
      throw new McpFailure(
        "mcp_unavailable",
        `The MCP server speaks protocol revision ${version ?? "unknown"}; ${MIN_PROTOCOL_VERSION} or later is needed`,
      );
    }
    return connection;
  } catch (err) {
    endMcpSession(connection);
    throw err;
  }
}

/**
 * Ends an MCP session on the server (DELETE, when it gave a session id) and then the transport,
 * in the background: nothing waits for it, and its failures are nobody's concern.
 */
export function endMcpSession({ client, transport }: McpConnection): void {
  transport
    .terminateSession()
    .catch(() => undefined)
    .finally(() => void client.close().catch(() => undefined));
}

/**
 * Runs `body` within `options.timeoutMs`, under the caller's signal too. Any failure (network,
 * HTTP status, protocol, an old revision, the timeout) is thrown as McpFailure; a caller's abort
 * rethrows the signal's reason instead.
 */
export async function withinDeadline<T>(options: McpCallOptions, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  try {
    return await body(signal);
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw failureOf(err, deadline);
  }
}

/** Opens an MCP session with the server, runs `work` on it and ends it, within the deadline (withinDeadline). */
function withMcpClient<T>(
  target: McpTarget,
  options: McpCallOptions,
  work: (client: Client, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  return withinDeadline(options, async (signal) => {
    const connection = await openMcpSession(target, options, signal);
    try {
      return await work(connection.client, signal);
    } finally {
      endMcpSession(connection);
    }
  });
}

/** Every page of the server's `tools/list` on an open session. */
export async function readToolList(client: Client, signal: AbortSignal, timeoutMs: number): Promise<McpToolDefinition[]> {
  const tools: McpToolDefinition[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page += 1) {
    // A plain request: the SDK's listTools would also keep output-schema validators on the client,
    // and a call on a kept session would then be checked differently from one on a fresh session.
    const result = await client.request({ method: "tools/list", params: cursor === undefined ? {} : { cursor } }, ListToolsResultSchema, {
      signal,
      timeout: timeoutMs,
    });
    for (const tool of result.tools) {
      tools.push({
        name: tool.name,
        description: tool.description ?? tool.title ?? "",
        parameters: tool.inputSchema as Record<string, unknown>,
      });
    }
    cursor = result.nextCursor;
    if (cursor === undefined) break;
  }
  return tools;
}

/** `tools/call` on an open session. A result with `isError` is returned, not thrown: it is the tool's answer. */
export async function callToolOn(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<McpToolResult> {
  const result = await client.callTool({ name, arguments: args }, undefined, { signal, timeout: timeoutMs });
  const blocks = Array.isArray(result.content) ? (result.content as Array<{ type?: unknown; text?: unknown }>) : [];
  const text = blocks
    .filter((b) => b.type === "text" && typeof b.text === "string")
    .map((b) => b.text as string)
    .join("\n");
  return {
    text,
    content: blocks.filter((b) => b.type !== "text"),
    structured: result.structuredContent ?? null,
    isError: result.isError === true,
  };
}

/** The server's tools (every page of `tools/list`), on an MCP session of their own. */
export async function listMcpTools(target: McpTarget, options: McpCallOptions): Promise<McpToolDefinition[]> {
  return withMcpClient(target, options, (client, signal) => readToolList(client, signal, options.timeoutMs));
}

/** Calls one tool on an MCP session of its own. A result with `isError` is returned, not thrown. */
export async function callMcpTool(
  target: McpTarget,
  name: string,
  args: Record<string, unknown>,
  options: McpCallOptions,
): Promise<McpToolResult> {
  return withMcpClient(target, options, (client, signal) => callToolOn(client, name, args, signal, options.timeoutMs));
}
