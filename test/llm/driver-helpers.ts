import { inject } from "vitest";
import { createDriver } from "../../src/llm/create-driver";
import type { DriverOptions } from "../../src/llm/driver-options";
import type { LlmDriver, LlmRequest, LlmStreamEvent } from "../../src/llm/types";

export type ProviderKind = "openai" | "anthropic";

/** Accepted by the fake; tests assert it never shows up in an error. */
export const TEST_KEY = "sk-llm-test-5e1f0c9d8b7a6f5e4d3c2b1a";

/** Short timeouts so the hang scenarios fail fast. */
export const FAST: DriverOptions = { firstByteTimeoutMs: 300, idleTimeoutMs: 300 };

const port = inject("fakeLlmPort");

/**
 * A base URL for `scenario` on the fake server with a unique trailing segment, so what this test
 * sent can be read back without seeing other tests' requests.
 */
export function fakeBase(kind: ProviderKind, scenario: string): string {
  return `http://127.0.0.1:${port}/${kind}/scenario/${scenario}/t-${crypto.randomUUID()}`;
}

/** A driver for the fake server. */
export function fakeDriver(kind: ProviderKind, scenario: string, options: DriverOptions = FAST): { driver: LlmDriver; base: string } {
  const base = fakeBase(kind, scenario);
  return { driver: createDriver({ type: kind, baseUrl: base, apiKey: TEST_KEY }, options), base };
}

/** A request with a harmless conversation; `overrides` replace whole fields. */
export function llmRequest(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    model: "fake-model",
    system: "",
    messages: [{ role: "user", text: "hi" }],
    tools: [],
    signal: new AbortController().signal,
    ...overrides,
  };
}

/** Everything the driver yielded, and what it threw (if it did). */
export async function collect(driver: LlmDriver, request: LlmRequest): Promise<{ events: LlmStreamEvent[]; error: unknown }> {
  const events: LlmStreamEvent[] = [];
  try {
    for await (const event of driver.stream(request)) events.push(event);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}

/** The concatenated text deltas. */
export function textOf(events: LlmStreamEvent[]): string {
  return events.map((e) => (e.type === "text_delta" ? e.text : "")).join("");
}

/** What the fake server last received on `base` (method, headers, parsed JSON body) and how often. */
export async function lastRequest(base: string): Promise<{ count: number; headers: Record<string, string>; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/__last?base=${encodeURIComponent(new URL(base).pathname)}`);
  if (res.status !== 200) throw new Error(`nothing recorded for ${base}`);
  return res.json();
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
