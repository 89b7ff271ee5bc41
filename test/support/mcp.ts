import { inject } from "vitest";

/** Where the shared everything server answers (test/fakes/mcp-everything.ts). */
export function everythingUrl(): string {
  return `http://127.0.0.1:${inject("mcpEverythingPort")}/mcp`;
}

function control(path: string, init?: RequestInit): Promise<Response> {
  return fetch(`http://127.0.0.1:${inject("mcpHostPort")}${path}`, init);
}

/** A request an everything server received: its JSON-RPC method, the tool it called, its headers. */
export interface McpSeenRequest {
  method: string | null;
  tool: string | null;
  headers: Record<string, string | string[] | undefined>;
}

/** A fresh everything server of this test's own: its URL, what it has received, and a way to stop it. */
export interface OwnMcpServer {
  url: string;
  requests(): Promise<McpSeenRequest[]>;
  /** The calls of one tool it has received. */
  callsOf(tool: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startOwnMcpServer(): Promise<OwnMcpServer> {
  const res = await control("/servers", { method: "POST" });
  if (res.status !== 201) throw new Error(`the MCP host answered ${res.status}`);
  const { port } = (await res.json()) as { port: number };
  const requests = async () => {
    const r = await control(`/servers/${port}/requests`);
    return ((await r.json()) as { data: McpSeenRequest[] }).data;
  };
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    callsOf: async (tool) => (await requests()).filter((r) => r.method === "tools/call" && r.tool === tool).length,
    stop: async () => {
      const r = await control(`/servers/${port}/stop`, { method: "POST" });
      await r.body?.cancel();
    },
  };
}
