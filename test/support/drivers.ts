import { createDriver } from "../../src/llm/create-driver";
import type { DriverOptions } from "../../src/llm/driver-options";
import type { LlmDriver, LlmRequest, LlmStreamEvent } from "../../src/llm/types";
import { FAKE_PROVIDER_KEY, type ProviderType, scenarioBase } from "./models";

/**
 * Short timeouts so the hang scenarios fail fast, but not so short that a fake server slowed by
 * the rest of the suite (it shares vitest's process) looks hung: 300 ms once did. The fake server
 * is on loopback, so private URLs are allowed.
 */
export const FAST: DriverOptions = { firstByteTimeoutMs: 1000, idleTimeoutMs: 1000, allowPrivateUrls: true };

/**
 * A driver of `type` for `scenario` on the fake server (on loopback, so private URLs are allowed),
 * with the fake key, and its unique base URL.
 */
export function fakeDriver(type: ProviderType, scenario: string, options: DriverOptions = FAST): { driver: LlmDriver; base: string } {
  const base = scenarioBase(type, scenario);
  return { driver: createDriver({ type, baseUrl: base, apiKey: FAKE_PROVIDER_KEY }, { allowPrivateUrls: true, ...options }), base };
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
