import { inject } from "vitest";
import type { EventEnvelope } from "../../src/session/rpc";
import { sleep } from "./async";
import { listEvents } from "./events";
import { type Caller, callAs } from "./requests";

/** Where the shared everything server answers (test/fakes/mcp-everything.ts). */
export function everythingUrl(): string {
  return `http://127.0.0.1:${inject("mcpEverythingPort")}/mcp`;
}

function control(path: string, init?: RequestInit): Promise<Response> {
  return fetch(`http://127.0.0.1:${inject("mcpHostPort")}${path}`, init);
}

/** A request an everything server received: its JSON-RPC method, the tool it called, its headers. */
interface McpSeenRequest {
  /** The HTTP method: POST carries JSON-RPC, DELETE ends an MCP session. */
  http: string;
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
  /** Ends its MCP sessions, as a server that expired them; their ids are answered with `status` from then on. */
  forgetSessions(status: 400 | 404): Promise<void>;
  stop(): Promise<void>;
}

/** `stateless`: a server that gives no `Mcp-Session-Id` (the SDK's stateless mode). */
export async function startOwnMcpServer({ stateless = false } = {}): Promise<OwnMcpServer> {
  const res = await control(stateless ? "/servers?stateless=1" : "/servers", { method: "POST" });
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
    forgetSessions: async (status) => {
      const r = await control(`/servers/${port}/forget?status=${status}`, { method: "POST" });
      await r.body?.cancel();
      if (r.status !== 204) throw new Error(`the MCP host answered ${r.status}`);
    },
    stop: async () => {
      const r = await control(`/servers/${port}/stop`, { method: "POST" });
      await r.body?.cancel();
    },
  };
}

/** The stored events once `done` holds for them (polled), or the last read after ~15 s. */
export async function eventsWhen(caller: Caller, sessionId: string, done: (events: EventEnvelope[]) => boolean): Promise<EventEnvelope[]> {
  for (let attempt = 0; ; attempt += 1) {
    const events = await listEvents(caller, sessionId);
    if (done(events) || attempt >= 150) return events;
    await sleep(100);
  }
}

/** The stored events once a call waits for approval (the last `tool.approval_requested` is returned with them). */
export async function untilApprovalRequested(caller: Caller, sessionId: string, count = 1) {
  const events = await eventsWhen(caller, sessionId, (list) => list.filter((e) => e.type === "tool.approval_requested").length >= count);
  const requested = events.filter((e) => e.type === "tool.approval_requested").at(count - 1);
  if (!requested) throw new Error("no call waited for approval");
  return { events, toolCall: requested.data.tool_call as { id: string; name: string; arguments: Record<string, unknown> } };
}

/** POST …/tool-approvals as `caller`. */
export function decide(caller: Caller, sessionId: string, decisions: unknown[]): Promise<Response> {
  return callAs(caller, `/v1/sessions/${sessionId}/tool-approvals`, { method: "POST", json: { decisions } });
}
