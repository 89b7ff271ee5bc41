import { expect } from "vitest";
import { AgentSchema } from "../src/schemas/agents";
import { MessageSchema } from "../src/schemas/messages";
import { SessionSchema } from "../src/schemas/sessions";
import { call } from "./helpers";

export interface Caller {
  headers: Record<string, string>;
}

/** A request as the given caller. */
export function as(caller: Caller, path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  return call(path, { ...init, headers: { ...caller.headers, ...(init.headers as Record<string, string> | undefined) } });
}

export async function createAgent(caller: Caller, body: Record<string, unknown> = {}) {
  const res = await as(caller, "/v1/agents", {
    method: "POST",
    json: { name: "Test agent", system_prompt: "You are a test agent.", ...body },
  });
  expect(res.status).toBe(201);
  return AgentSchema.parse(await res.json());
}

export async function createSession(caller: Caller, agentId: string, body: Record<string, unknown> = {}) {
  const res = await as(caller, `/v1/agents/${agentId}/sessions`, { method: "POST", json: body });
  expect(res.status).toBe(201);
  return SessionSchema.parse(await res.json());
}

export async function sendMessage(caller: Caller, sessionId: string, text: string, extra: Record<string, unknown> = {}) {
  const res = await as(caller, `/v1/sessions/${sessionId}/messages`, {
    method: "POST",
    json: { message: { role: "user", content: [{ type: "text", text }] }, ...extra },
  });
  expect(res.status).toBe(201);
  return MessageSchema.parse(await res.json());
}

/** Opens the session's SSE stream (optionally resuming). */
export function openStream(caller: Caller, sessionId: string, query = "", headers: Record<string, string> = {}) {
  return as(caller, `/v1/sessions/${sessionId}/sse${query}`, { headers });
}

/** A key the fake providers accept; tests assert it never appears anywhere. */
export const FAKE_PROVIDER_KEY = "sk-test-9f3c2b1a0d8e7f6a5b4c3d2e1f0a9b8c";

/**
 * Adds a provider pointing at the local fake LLM server with the given scenario, and a model
 * of it; returns the model id to put in a session or message.
 */
export async function fakeModel(caller: Caller, port: number, type: "openai" | "anthropic", scenario: string): Promise<string> {
  const provider = await as(caller, "/v1/llm-providers", {
    method: "POST",
    json: { name: `fake ${type} ${scenario}`, provider_type: type, base_url: `http://127.0.0.1:${port}/${type}/scenario/${scenario}`, api_key: FAKE_PROVIDER_KEY },
  });
  expect(provider.status).toBe(201);
  const { id } = (await provider.json()) as { id: string };
  const model = await as(caller, `/v1/llm-providers/${id}/models`, { method: "POST", json: { model_id: `fake-${scenario}` } });
  expect(model.status).toBe(201);
  return ((await model.json()) as { id: string }).id;
}
