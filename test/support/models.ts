import { inject } from "vitest";
import type { Caller } from "./requests";
import { createLlmModel, createLlmProvider } from "./resources";

/** Port of the fake LLM server on 127.0.0.1, started by test/global-setup.ts (test/fakes/README.md). */
const fakeLlmPort = inject("fakeLlmPort");

/** A key the fake providers accept; tests assert it never appears in a response, an error or a log. */
export const FAKE_PROVIDER_KEY = "sk-test-9f3c2b1a0d8e7f6a5b4c3d2e1f0a9b8c";

/** The wire formats the fake LLM server speaks. */
export type ProviderType = "openai" | "anthropic";

/**
 * A fake-server base URL for `scenario` with a unique trailing tag, so what this test sent can be
 * read back with lastRequest without seeing other tests' requests.
 */
export function scenarioBase(type: ProviderType, scenario: string): string {
  return `http://127.0.0.1:${fakeLlmPort}/${type}/scenario/${scenario}/t-${crypto.randomUUID()}`;
}

/**
 * Adds a provider of `type` at `base` (usually a scenarioBase) with the fake key, and a model of
 * it, through the API; returns the model id to put on an agent, session or message.
 */
export async function fakeModel(caller: Caller, type: ProviderType, base: string): Promise<string> {
  const provider = await createLlmProvider(caller, {
    name: `${type} at ${base}`,
    provider_type: type,
    base_url: base,
    api_key: FAKE_PROVIDER_KEY,
  });
  return (await createLlmModel(caller, provider.id)).id;
}

/** A request as the fake server recorded it: how many it had on that base, the method, path, headers and parsed JSON body. */
export interface FakeRequest {
  count: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** What the fake server last received on `base` (throws if it received nothing there). */
export async function lastRequest(base: string): Promise<FakeRequest> {
  const res = await fetch(`http://127.0.0.1:${fakeLlmPort}/__last?base=${encodeURIComponent(new URL(base).pathname)}`);
  if (res.status !== 200) throw new Error(`nothing recorded for ${base}`);
  return res.json();
}
