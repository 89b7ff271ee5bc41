import { expect, it } from "vitest";
import { createDriver } from "../../src/llm/create-driver";
import { LlmError, type LlmErrorCode, type LlmRequest, type LlmStreamEvent } from "../../src/llm/types";
import { sleep } from "../support/async";
import { collect, FAST, fakeDriver, llmRequest, textOf } from "../support/drivers";
import { FAKE_PROVIDER_KEY, type ProviderType, scenarioBase } from "../support/models";

const STOP = { openai: { text: "stop", tools: "tool_calls" }, anthropic: { text: "end_turn", tools: "tool_use" } } as const;
const USAGE = { inputTokens: 11, outputTokens: 7 };

/** A tool result the way the turn loop sends it back, for scenarios that look at history. */
function withToolResult(content: string): Partial<LlmRequest> {
  return {
    messages: [
      { role: "user", text: "add 2 and 3" },
      { role: "assistant", text: "", toolCalls: [{ id: "call_split_1", name: "add", arguments: { a: 2, b: 3 } }] },
      { role: "tool", toolCallId: "call_split_1", name: "add", content, isError: false },
    ],
  };
}

function expectLlmError(error: unknown, code: LlmErrorCode): LlmError {
  expect(error).toBeInstanceOf(LlmError);
  const err = error as LlmError;
  expect(err.code).toBe(code);
  expect(err.message).not.toContain(FAKE_PROVIDER_KEY);
  expect(JSON.stringify({ message: err.message, cause: String(err.cause) })).not.toContain(FAKE_PROVIDER_KEY);
  return err;
}

/** The fake-server scenarios, asserted the same way for both wire formats. */
export function scenarioCases(kind: ProviderType): void {
  const stop = STOP[kind];

  it("streams text deltas, then done with usage and the stop reason", async () => {
    const { driver } = fakeDriver(kind, "text");
    const { events, error } = await collect(driver, llmRequest());
    expect(error).toBeUndefined();
    expect(events).toEqual<LlmStreamEvent[]>([
      { type: "text_delta", text: "Hello" },
      { type: "text_delta", text: " from" },
      { type: "text_delta", text: " the" },
      { type: "text_delta", text: " fake" },
      { type: "text_delta", text: " model." },
      { type: "done", usage: USAGE, stopReason: stop.text },
    ]);
  });

  it("accepts usage that reports only the prompt side", async () => {
    const { driver } = fakeDriver(kind, "partial_usage");
    const { events, error } = await collect(driver, llmRequest());
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe("Hello from the fake model.");
    expect(events.at(-1)).toEqual({ type: "done", usage: { inputTokens: 11, outputTokens: 0 }, stopReason: stop.text });
  });

  it("joins a tool call that arrives split over several chunks", async () => {
    const { driver } = fakeDriver(kind, "tool_call_split");
    const { events, error } = await collect(driver, llmRequest());
    expect(error).toBeUndefined();
    expect(events).toEqual<LlmStreamEvent[]>([
      { type: "tool_call", call: { id: "call_split_1", name: "add", arguments: { a: 2, b: 3 } } },
      { type: "done", usage: USAGE, stopReason: stop.tools },
    ]);
  });

  it("yields both calls of a parallel reply, in order, after the text", async () => {
    const { driver } = fakeDriver(kind, "parallel_tool_calls");
    const { events, error } = await collect(driver, llmRequest());
    expect(error).toBeUndefined();
    expect(events).toEqual<LlmStreamEvent[]>([
      { type: "text_delta", text: "Working on it." },
      { type: "tool_call", call: { id: "call_par_1", name: "add", arguments: { a: 2, b: 3 } } },
      { type: "tool_call", call: { id: "call_par_2", name: "multiply", arguments: { a: 6, b: 7 } } },
      { type: "done", usage: USAGE, stopReason: stop.tools },
    ]);
  });

  it("always_tool asks for a tool even after tool results, with a fresh id", async () => {
    const { driver } = fakeDriver(kind, "always_tool");
    const first = await collect(driver, llmRequest());
    const again = await collect(driver, llmRequest(withToolResult("5")));
    expect(first.events[0]).toEqual({ type: "tool_call", call: { id: "call_always_1", name: "add", arguments: { a: 1, b: 1 } } });
    expect(again.events[0]).toEqual({ type: "tool_call", call: { id: "call_always_2", name: "add", arguments: { a: 1, b: 1 } } });
  });

  it("tool_then_text calls a tool first, then answers with the tool's result", async () => {
    const { driver } = fakeDriver(kind, "tool_then_text");
    const first = await collect(driver, llmRequest());
    expect(first.events.map((e) => e.type)).toEqual(["tool_call", "done"]);
    const second = await collect(driver, llmRequest(withToolResult("5")));
    expect(second.error).toBeUndefined();
    expect(textOf(second.events)).toBe("The tool returned 5.");
    expect(second.events.at(-1)).toEqual({ type: "done", usage: USAGE, stopReason: stop.text });
  });

  it("streams slow_text to the end", async () => {
    const { driver } = fakeDriver(kind, "slow_text", {});
    const { events, error } = await collect(driver, llmRequest());
    expect(error).toBeUndefined();
    expect(events.filter((e) => e.type === "text_delta")).toHaveLength(20);
    expect(textOf(events).split(" ")).toHaveLength(20);
  });

  const statuses: [number, LlmErrorCode][] = [
    [401, "llm_auth_failed"],
    [403, "llm_auth_failed"],
    [429, "llm_rate_limited"],
    [500, "llm_unavailable"],
    [503, "llm_unavailable"],
    [529, "llm_unavailable"],
    [400, "llm_bad_response"],
    [404, "llm_bad_response"],
  ];
  for (const [status, code] of statuses) {
    it(`maps HTTP ${status} to ${code}`, async () => {
      const { driver } = fakeDriver(kind, `status_${status}`);
      const { events, error } = await collect(driver, llmRequest());
      expect(events).toEqual([]);
      const err = expectLlmError(error, code);
      expect(err.retryAfterSeconds).toBe(status === 429 ? 7 : undefined);
    });
  }

  it("is refused as llm_auth_failed without a key", async () => {
    const driver = createDriver({ type: kind, baseUrl: scenarioBase(kind, "text"), apiKey: null }, FAST);
    expectLlmError((await collect(driver, llmRequest())).error, "llm_auth_failed");
  });

  it("reports an unreachable provider as llm_unavailable", async () => {
    // Port 9 (discard) on loopback has no listener here, so the connection is refused.
    const driver = createDriver({ type: kind, baseUrl: "http://127.0.0.1:9/x", apiKey: FAKE_PROVIDER_KEY }, FAST);
    expectLlmError((await collect(driver, llmRequest())).error, "llm_unavailable");
  });

  const broken: [string, LlmErrorCode, string][] = [
    ["break_midway", "llm_bad_response", "Hello from"],
    ["truncated", "llm_bad_response", "Hello from the fake model."],
    ["malformed_chunk", "llm_bad_response", "Hello"],
    ["stream_error", "llm_unavailable", "Hello"],
    ["bad_tool_arguments", "llm_bad_response", ""],
  ];
  for (const [scenario, code, seen] of broken) {
    it(`fails ${scenario} with ${code} after the text it did get, never with done`, async () => {
      const { driver } = fakeDriver(kind, scenario);
      const { events, error } = await collect(driver, llmRequest());
      expect(textOf(events)).toBe(seen);
      expect(events.some((e) => e.type === "done")).toBe(false);
      expectLlmError(error, code);
    });
  }

  it("times out with llm_timeout when the provider sends headers and then nothing", async () => {
    const { driver } = fakeDriver(kind, "hang");
    const started = Date.now();
    const { events, error } = await collect(driver, llmRequest());
    expect(events).toEqual([]);
    expectLlmError(error, "llm_timeout");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // FAST's first-byte timeout: 1 s
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("times out with llm_timeout when the provider goes silent after the first chunk", async () => {
    const { driver } = fakeDriver(kind, "hang_after_first_chunk");
    const { events, error } = await collect(driver, llmRequest());
    expect(events).toEqual([{ type: "text_delta", text: "Hello" }]);
    expectLlmError(error, "llm_timeout");
  });

  it("does not count a slow consumer against the idle timeout", async () => {
    const { driver } = fakeDriver(kind, "text", { idleTimeoutMs: 200 });
    const events: LlmStreamEvent[] = [];
    for await (const event of driver.stream(llmRequest())) {
      events.push(event);
      await sleep(250);
    }
    expect(events.at(-1)?.type).toBe("done");
  });

  it("stops mid-stream when aborted and rejects with the signal's reason", async () => {
    const { driver } = fakeDriver(kind, "slow_text", {});
    const controller = new AbortController();
    const reason = new Error("cancelled by the test");
    const events: LlmStreamEvent[] = [];
    const run = (async () => {
      for await (const event of driver.stream(llmRequest({ signal: controller.signal }))) {
        events.push(event);
        if (events.length === 2) setTimeout(() => controller.abort(reason), 0);
      }
    })();
    const started = Date.now();
    await expect(run).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(events.length).toBeLessThan(20);
    expect(events.some((e) => e.type === "done")).toBe(false);
  });

  it("stops waiting on a hung provider when aborted (not a timeout)", async () => {
    const { driver } = fakeDriver(kind, "hang", {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const { error } = await collect(driver, llmRequest({ signal: controller.signal }));
    expect(error).not.toBeInstanceOf(LlmError);
    expect((error as Error).name).toBe("AbortError");
  });

  it("rejects at once when the signal is already aborted", async () => {
    const { driver, base } = fakeDriver(kind, "text");
    const reason = new Error("too late");
    const { events, error } = await collect(driver, llmRequest({ signal: AbortSignal.abort(reason) }));
    expect(events).toEqual([]);
    expect(error).toBe(reason);
    // Nothing was sent.
    const res = await fetch(`${new URL(base).origin}/__last?base=${encodeURIComponent(new URL(base).pathname)}`);
    expect(res.status).toBe(404);
    await res.body?.cancel();
  });
}
