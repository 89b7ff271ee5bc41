import { afterEach, beforeEach, expect, inject, vi } from "vitest";
import { z } from "@hono/zod-openapi";
import { listCapabilities } from "../src/capabilities/registry";
import type { Tool } from "../src/capabilities/types";
import { MessageSchema } from "../src/schemas/messages";
import { SessionSchema } from "../src/schemas/sessions";
import type { EventEnvelope } from "../src/session/rpc";
import { as, createAgent, createSession, FAKE_PROVIDER_KEY, openStream, type Caller } from "./fixtures";
import { newTenant } from "./helpers";
import { SseReader } from "./sse-client";

export const fakePort = inject("fakeLlmPort");

/**
 * Captures the Worker's console lines during each test of the calling suite (the session objects
 * log in this isolate) and fails any test whose logs contain the fake provider's key.
 */
export function capturedLogsWithoutKey(): { lines: () => string[] } {
  let logs: string[] = [];
  beforeEach(() => {
    logs = [];
    for (const level of ["log", "warn", "error", "info"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logs.push(args.map(String).join(" "));
      });
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
    expect(logs.join("\n")).not.toContain(FAKE_PROVIDER_KEY);
  });
  return { lines: () => logs };
}

export const TERMINAL = new Set(["turn.completed", "turn.failed", "turn.cancelled"]);
export const isEnd = (e: EventEnvelope) => e.type === "session.completed";
/** Events that are stored (everything but the ephemeral deltas). */
export const stored = (events: EventEnvelope[]) => events.filter((e) => e.type !== "message.delta");

export type ProviderType = "openai" | "anthropic";

/**
 * A provider and model of `type` with the given base URL (a fake-server scenario with a unique
 * tag by default, so the test can read back exactly what it sent); returns the model id and the base.
 */
export async function providerModel(t: Caller, type: ProviderType, base: string): Promise<string> {
  const provider = await as(t, "/v1/llm-providers", {
    method: "POST",
    json: { name: `${type} at ${base}`, provider_type: type, base_url: base, api_key: FAKE_PROVIDER_KEY },
  });
  if (provider.status !== 201) throw new Error(`provider: ${provider.status} ${await provider.text()}`);
  const { id } = (await provider.json()) as { id: string };
  const model = await as(t, `/v1/llm-providers/${id}/models`, { method: "POST", json: { model_id: `model-${crypto.randomUUID()}` } });
  if (model.status !== 201) throw new Error(`model: ${model.status} ${await model.text()}`);
  return ((await model.json()) as { id: string }).id;
}

/** A fake-server base URL for `scenario` with a unique tag. */
export function scenarioBase(type: ProviderType, scenario: string): string {
  return `http://127.0.0.1:${fakePort}/${type}/scenario/${scenario}/t-${crypto.randomUUID()}`;
}

/** A tenant, an agent (optionally on a model at `base`), a session and its open SSE stream. */
export async function turnSetup(options: { capabilities?: string[]; provider?: { type: ProviderType; base: string } } = {}) {
  const t = await newTenant();
  const modelId = options.provider ? await providerModel(t, options.provider.type, options.provider.base) : null;
  const agent = await createAgent(t, { capabilities: options.capabilities ?? [], default_model_id: modelId });
  const session = await createSession(t, agent.id);
  const reader = new SseReader(await openStream(t, session.id));
  return { t, session, reader };
}

/** What the fake server last received on `base`. */
export async function lastRequest(base: string): Promise<{ count: number; body: { messages: Array<Record<string, unknown>> } }> {
  const res = await fetch(`http://127.0.0.1:${fakePort}/__last?base=${encodeURIComponent(new URL(base).pathname)}`);
  if (res.status !== 200) throw new Error(`nothing recorded for ${base}`);
  return res.json();
}

export async function getSession(t: Caller, id: string) {
  return SessionSchema.parse(await (await as(t, `/v1/sessions/${id}`)).json());
}

/** The session's messages; reads `.data`, whether or not the list is paginated. */
export async function listMessages(t: Caller, id: string) {
  const res = await as(t, `/v1/sessions/${id}/messages?limit=100`);
  return z.object({ data: z.array(MessageSchema) }).parse(await res.json()).data;
}

/** A built-in tool by name: the very object turns run, so a test can stand in for its behaviour. */
export function builtinTool(name: string): Tool {
  const found = listCapabilities()
    .flatMap((c) => c.tools)
    .find((tool) => tool.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
}

/**
 * Makes `tool` run `execute` instead (restored by vi.restoreAllMocks). Turns run in the session's
 * Durable Object, which lives in the test's isolate and shares its modules.
 */
export function standIn(tool: Tool, execute: Tool["execute"]): void {
  vi.spyOn(tool, "execute").mockImplementation(execute);
}

/** A promise and the function that resolves it. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}
