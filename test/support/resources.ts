import { z } from "@hono/zod-openapi";
import { expect } from "vitest";
import { AgentSchema } from "../../src/schemas/agents";
import { LlmModelSchema, LlmProviderSchema } from "../../src/schemas/llm";
import { McpServerSchema } from "../../src/schemas/mcp-servers";
import { MessageSchema } from "../../src/schemas/messages";
import { SessionSchema } from "../../src/schemas/sessions";
import { everythingUrl } from "./mcp";
import { type Caller, callAs } from "./requests";

/** Creates an agent through the API (a name and system prompt by default, `body` on top); expects 201. */
export async function createAgent(caller: Caller, body: Record<string, unknown> = {}) {
  const res = await callAs(caller, "/v1/agents", {
    method: "POST",
    json: { name: "Test agent", system_prompt: "You are a test agent.", ...body },
  });
  expect(res.status).toBe(201);
  return AgentSchema.parse(await res.json());
}

/** Creates a session under an agent through the API; expects 201. */
export async function createSession(caller: Caller, agentId: string, body: Record<string, unknown> = {}) {
  const res = await callAs(caller, `/v1/agents/${agentId}/sessions`, { method: "POST", json: body });
  expect(res.status).toBe(201);
  return SessionSchema.parse(await res.json());
}

/** Posts a user text message to a session (`extra` adds top-level fields); expects 201. */
export async function sendMessage(caller: Caller, sessionId: string, text: string, extra: Record<string, unknown> = {}) {
  const res = await callAs(caller, `/v1/sessions/${sessionId}/messages`, {
    method: "POST",
    json: { message: { role: "user", content: [{ type: "text", text }] }, ...extra },
  });
  expect(res.status).toBe(201);
  return MessageSchema.parse(await res.json());
}

/** The session as the API returns it now (its status, usage, timestamps). */
export async function getSession(caller: Caller, id: string) {
  return SessionSchema.parse(await (await callAs(caller, `/v1/sessions/${id}`)).json());
}

/** The session's messages; reads `.data`, whether or not the list is paginated. */
export async function listMessages(caller: Caller, id: string) {
  const res = await callAs(caller, `/v1/sessions/${id}/messages?limit=100`);
  return z.object({ data: z.array(MessageSchema) }).parse(await res.json()).data;
}

/** Creates a provider through the API as `caller` (an admin or owner); an OpenAI one named "OpenAI" unless `body` says otherwise. */
export async function createLlmProvider(caller: Caller, body: Record<string, unknown> = {}) {
  const res = await callAs(caller, "/v1/llm-providers", {
    method: "POST",
    json: { name: "OpenAI", provider_type: "openai", ...body },
  });
  expect(res.status).toBe(201);
  return LlmProviderSchema.parse(await res.json());
}

/** Adds a model to a provider through the API (a unique model_id unless `body` gives one). */
export async function createLlmModel(caller: Caller, providerId: string, body: Record<string, unknown> = {}) {
  const res = await callAs(caller, `/v1/llm-providers/${providerId}/models`, {
    method: "POST",
    json: { model_id: `model-${crypto.randomUUID()}`, ...body },
  });
  expect(res.status).toBe(201);
  return LlmModelSchema.parse(await res.json());
}

/**
 * Registers an MCP server through the API as `caller` (an admin or owner): the shared everything
 * server, named "everything", unless `body` says otherwise.
 */
export async function createMcpServer(caller: Caller, body: Record<string, unknown> = {}) {
  const res = await callAs(caller, "/v1/mcp-servers", { method: "POST", json: { name: "everything", url: everythingUrl(), ...body } });
  expect(res.status).toBe(201);
  return McpServerSchema.parse(await res.json());
}
