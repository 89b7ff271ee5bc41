import { describe, expect, it } from "vitest";
import { BUILTIN_LLMSIM_MODEL, createDriver } from "../../src/llm/create-driver";
import { DEFAULT_LLMSIM_WORD_DELAY_MS, driverOptionsFromEnv, resolveDriverOptions } from "../../src/llm/driver-options";
import { LLMSIM_GREETING, LLMSIM_PACED_WORDS } from "../../src/llm/llmsim";
import type { LlmRequest, LlmStreamEvent, LlmToolCall, LlmToolDefinition } from "../../src/llm/types";
import { collect, llmRequest, textOf } from "../support/drivers";

const tool = (name: string): LlmToolDefinition => ({ name, description: name, parameters: { type: "object" } });
const ALL_TOOLS = ["get_current_time", "get_weather", "add", "subtract", "multiply", "divide", "web_fetch"].map(tool);
const llmsim = createDriver({ type: "llmsim", baseUrl: null, apiKey: null });

async function run(overrides: Partial<LlmRequest>) {
  const { events, error } = await collect(llmsim, llmRequest({ model: BUILTIN_LLMSIM_MODEL, ...overrides }));
  expect(error).toBeUndefined();
  return events;
}

async function callsFor(text: string, tools = ALL_TOOLS): Promise<LlmToolCall[]> {
  const events = await run({ messages: [{ role: "user", text }], tools });
  return events.flatMap((e) => (e.type === "tool_call" ? [e.call] : []));
}

describe("llmsim", () => {
  it("echoes the user word by word, then reports estimated usage", async () => {
    const events = await run({ system: "Be nice.", messages: [{ role: "user", text: "hello   there\nworld" }] });
    expect(events).toEqual<LlmStreamEvent[]>([
      { type: "text_delta", text: "Echo:" },
      { type: "text_delta", text: " hello" },
      { type: "text_delta", text: " there" },
      { type: "text_delta", text: " world" },
      // Prompt "Be nice." + "hello   there\nworld" = 8 + 19 chars → 7 tokens; reply 23 chars → 6.
      { type: "done", usage: { inputTokens: 7, outputTokens: 6 }, stopReason: "stop" },
    ]);
  });

  it("uses the built-in model name llmsim-model", () => {
    expect(BUILTIN_LLMSIM_MODEL).toBe("llmsim-model");
  });

  it("calls get_current_time when asked for the time and the tool is offered", async () => {
    const events = await run({ messages: [{ role: "user", text: "What time is it?" }], tools: ALL_TOOLS });
    expect(events).toEqual<LlmStreamEvent[]>([
      { type: "tool_call", call: { id: "call_1", name: "get_current_time", arguments: {} } },
      { type: "done", usage: { inputTokens: 4, outputTokens: expect.any(Number) }, stopReason: "tool_calls" },
    ]);
  });

  it("only calls tools the request offers; otherwise it echoes", async () => {
    const events = await run({ messages: [{ role: "user", text: "what time is it" }], tools: [tool("get_weather")] });
    expect(textOf(events)).toBe("Echo: what time is it");
  });

  const asks: [string, LlmToolCall["name"], Record<string, unknown>][] = [
    ["current time please", "get_current_time", {}],
    ["What's the weather in Paris?", "get_weather", { location: "Paris" }],
    ["weather for New York, please", "get_weather", { location: "New York" }],
    ["what is 2 + 3", "add", { a: 2, b: 3 }],
    ["add 2 and 3", "add", { a: 2, b: 3 }],
    ["what is 2.5 plus -1", "add", { a: 2.5, b: -1 }],
    ["subtract 2 from 5", "subtract", { a: 5, b: 2 }],
    ["what's 9 - 4?", "subtract", { a: 9, b: 4 }],
    ["multiply 6 by 7", "multiply", { a: 6, b: 7 }],
    ["what is 6 times 7", "multiply", { a: 6, b: 7 }],
    ["divide 8 by 2", "divide", { a: 8, b: 2 }],
    ["8 / 2 = ?", "divide", { a: 8, b: 2 }],
    ["fetch https://example.com/page?q=1.", "web_fetch", { url: "https://example.com/page?q=1" }],
  ];
  for (const [text, name, args] of asks) {
    it(`reads "${text}" as ${name} ${JSON.stringify(args)}`, async () => {
      expect(await callsFor(text)).toEqual([{ id: "call_1", name, arguments: args }]);
    });
  }

  it("asks for several tools in one reply, in the order the message names them", async () => {
    expect(await callsFor("what time is it and what's the weather in Paris")).toEqual([
      { id: "call_1", name: "get_current_time", arguments: {} },
      { id: "call_2", name: "get_weather", arguments: { location: "Paris" } },
    ]);
  });

  it("numbers new call ids after the calls already in the conversation", async () => {
    const events = await run({
      tools: ALL_TOOLS,
      messages: [
        { role: "user", text: "what time is it" },
        { role: "assistant", text: "", toolCalls: [{ id: "call_1", name: "get_current_time", arguments: {} }] },
        { role: "tool", toolCallId: "call_1", name: "get_current_time", content: "{}", isError: false },
        { role: "assistant", text: "It is noon.", toolCalls: [] },
        { role: "user", text: "and now add 1 and 1" },
      ],
    });
    expect(events[0]).toEqual({ type: "tool_call", call: { id: "call_2", name: "add", arguments: { a: 1, b: 1 } } });
  });

  it("answers tool results with a sentence that includes them, naming each tool", async () => {
    const events = await run({
      tools: ALL_TOOLS,
      messages: [
        { role: "user", text: "what time is it and what's the weather in Paris" },
        {
          role: "assistant",
          text: "",
          toolCalls: [
            { id: "call_1", name: "get_current_time", arguments: {} },
            { id: "call_2", name: "get_weather", arguments: { location: "Paris" } },
          ],
        },
        { role: "tool", toolCallId: "call_1", name: "get_current_time", content: '{"iso":"2026-01-01T00:00:00Z"}', isError: false },
        // A stored result may lack the name; llmsim finds it from the call.
        { role: "tool", toolCallId: "call_2", name: "", content: "no such city", isError: true },
      ],
    });
    expect(textOf(events)).toBe('get_current_time returned: {"iso":"2026-01-01T00:00:00Z"}; get_weather failed: no such city');
    expect(events.at(-1)).toMatchObject({ type: "done", stopReason: "stop" });
  });

  it("echoes the last user text when the conversation ends with its own reply, and greets when there is none", async () => {
    const echoed = await run({
      messages: [
        { role: "user", text: "one" },
        { role: "assistant", text: "Echo: one", toolCalls: [] },
      ],
    });
    expect(textOf(echoed)).toBe("Echo: one");
    expect(textOf(await run({ messages: [] }))).toBe(LLMSIM_GREETING);
  });

  it("is deterministic: the same request gives the same events", async () => {
    const request = { messages: [{ role: "user" as const, text: "what time is it and add 2 and 3" }], tools: ALL_TOOLS };
    expect(await run(request)).toEqual(await run(request));
  });

  it("pauses between words (15 ms by default), so a reply streams over time", async () => {
    const paced = createDriver({ type: "llmsim", baseUrl: null, apiKey: null }, { llmsimWordDelayMs: 40 });
    const started = Date.now();
    const { events } = await collect(paced, llmRequest({ messages: [{ role: "user", text: "one two three four" }] }));
    // "Echo:" goes out at once; each of the four words after it waits 40 ms.
    expect(textOf(events)).toBe("Echo: one two three four");
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(resolveDriverOptions().llmsimWordDelayMs).toBe(DEFAULT_LLMSIM_WORD_DELAY_MS);
    expect(DEFAULT_LLMSIM_WORD_DELAY_MS).toBe(15);
    const unpaced = createDriver({ type: "llmsim", baseUrl: null, apiKey: null }, { llmsimWordDelayMs: 0 });
    const quick = Date.now();
    const long = Array.from({ length: 500 }, (_, i) => `w${i}`).join(" ");
    expect(textOf((await collect(unpaced, llmRequest({ messages: [{ role: "user", text: long }] }))).events)).toBe(`Echo: ${long}`);
    expect(Date.now() - quick).toBeLessThan(1000);
  });

  it("pauses only before the first words of a long reply, so a long echo stays quick", async () => {
    const paced = createDriver({ type: "llmsim", baseUrl: null, apiKey: null }, { llmsimWordDelayMs: 20 });
    const long = Array.from({ length: 300 }, (_, i) => `w${i}`).join(" ");
    const started = Date.now();
    const { events } = await collect(paced, llmRequest({ messages: [{ role: "user", text: long }] }));
    const elapsed = Date.now() - started;
    expect(textOf(events)).toBe(`Echo: ${long}`);
    expect(elapsed).toBeGreaterThanOrEqual(LLMSIM_PACED_WORDS * 20 - 20);
    expect(elapsed).toBeLessThan(300 * 20);
  });

  it("takes the word delay from LLMSIM_WORD_DELAY_MS, where 0 turns it off and junk keeps the default", () => {
    expect(driverOptionsFromEnv({ LLMSIM_WORD_DELAY_MS: "0" })).toEqual({ llmsimWordDelayMs: 0 });
    expect(driverOptionsFromEnv({ LLMSIM_WORD_DELAY_MS: "40" })).toEqual({ llmsimWordDelayMs: 40 });
    for (const junk of ["", "-5", "1.5", "soon"]) expect(driverOptionsFromEnv({ LLMSIM_WORD_DELAY_MS: junk })).toEqual({});
    expect(driverOptionsFromEnv({ LLM_IDLE_TIMEOUT_MS: "0" })).toEqual({});
  });

  it("stops during a pause as soon as the signal aborts", async () => {
    const slow = createDriver({ type: "llmsim", baseUrl: null, apiKey: null }, { llmsimWordDelayMs: 5000 });
    const controller = new AbortController();
    const reason = new Error("cancelled mid-pause");
    const seen: LlmStreamEvent[] = [];
    const started = Date.now();
    const consume = async () => {
      for await (const event of slow.stream(llmRequest({ messages: [{ role: "user", text: "a b c" }], signal: controller.signal }))) {
        seen.push(event);
        setTimeout(() => controller.abort(reason), 20);
      }
    };
    await expect(consume()).rejects.toBe(reason);
    expect(seen).toEqual([{ type: "text_delta", text: "Echo:" }]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("rejects with the signal's reason when aborted, mid-reply or before it starts", async () => {
    const controller = new AbortController();
    const reason = new Error("stop");
    const seen: LlmStreamEvent[] = [];
    const consume = async () => {
      for await (const event of llmsim.stream(llmRequest({ messages: [{ role: "user", text: "a b c d e" }], signal: controller.signal }))) {
        seen.push(event);
        if (seen.length === 2) controller.abort(reason);
      }
    };
    await expect(consume()).rejects.toBe(reason);
    expect(seen).toHaveLength(2);
    const early = await collect(llmsim, llmRequest({ signal: AbortSignal.abort(reason) }));
    expect(early).toEqual({ events: [], error: reason });
  });
});
