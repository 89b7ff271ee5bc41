import { describe, expect, it } from "vitest";
import { toOpenAiBody } from "../../src/llm/openai-request";
import type { LlmRequest } from "../../src/llm/types";
import { collect, fakeDriver, llmRequest } from "../support/drivers";
import { FAKE_PROVIDER_KEY, lastRequest } from "../support/models";
import { scenarioCases } from "./scenario-cases";

describe("openai driver against the fake server", () => {
  scenarioCases("openai");
});

const conversation: Partial<LlmRequest> = {
  model: "gpt-test",
  system: "You are terse.",
  tools: [
    {
      name: "add",
      description: "Adds two numbers",
      parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } },
    },
  ],
  messages: [
    { role: "user", text: "look", images: [{ url: "https://example.com/cat.png" }, { base64: "aGk=", mediaType: "image/png" }] },
    {
      role: "assistant",
      text: "Adding.",
      toolCalls: [
        { id: "call_1", name: "add", arguments: { a: 2, b: 3 } },
        { id: "call_2", name: "add", arguments: { a: 1, b: 1 } },
      ],
    },
    { role: "tool", toolCallId: "call_1", name: "add", content: "5", isError: false },
    { role: "tool", toolCallId: "call_2", name: "add", content: "boom", isError: true },
    { role: "user", text: "thanks" },
  ],
};

describe("openai request mapping", () => {
  it("sends a streaming Chat Completions request with the key as a Bearer token", async () => {
    const { driver, base } = fakeDriver("openai", "text");
    await collect(driver, llmRequest(conversation));
    const sent = await lastRequest(base);
    expect(sent.count).toBe(1);
    expect(sent.headers.authorization).toBe(`Bearer ${FAKE_PROVIDER_KEY}`);
    expect(sent.headers["content-type"]).toBe("application/json");
    expect(sent.body).toMatchObject({ model: "gpt-test", stream: true, stream_options: { include_usage: true } });
  });

  it("maps system, images, assistant tool calls and tool results to messages, and tools to functions", async () => {
    const { driver, base } = fakeDriver("openai", "text");
    await collect(driver, llmRequest(conversation));
    const { body } = await lastRequest(base);
    expect(body.tools).toEqual([
      {
        type: "function",
        function: {
          name: "add",
          description: "Adds two numbers",
          parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } },
        },
      },
    ]);
    expect(body.messages).toEqual([
      { role: "system", content: "You are terse." },
      {
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
          { type: "image_url", image_url: { url: "data:image/png;base64,aGk=" } },
        ],
      },
      {
        role: "assistant",
        content: "Adding.",
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "add", arguments: '{"a":2,"b":3}' } },
          { id: "call_2", type: "function", function: { name: "add", arguments: '{"a":1,"b":1}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "5" },
      { role: "tool", tool_call_id: "call_2", content: "Error: boom" },
      { role: "user", content: "thanks" },
    ]);
  });

  it("leaves out the system message and tools when there are none", async () => {
    const { driver, base } = fakeDriver("openai", "text");
    await collect(
      driver,
      llmRequest({
        messages: [
          { role: "user", text: "hi" },
          { role: "assistant", text: "", toolCalls: [] },
        ],
      }),
    );
    const { body } = await lastRequest(base);
    expect(body).not.toHaveProperty("tools");
    expect(body.messages).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: "" },
    ]);
  });

  it('sends an empty reply as content "" (null is only valid beside tool_calls)', () => {
    const body = toOpenAiBody(
      llmRequest({
        messages: [
          { role: "user", text: "hi" },
          { role: "assistant", text: "", toolCalls: [] },
          { role: "user", text: "again" },
          { role: "assistant", text: "", toolCalls: [{ id: "call_1", name: "add", arguments: {} }] },
          { role: "tool", toolCallId: "call_1", name: "add", content: "2", isError: false },
        ],
      }),
    );
    expect(body.messages).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: "" },
      { role: "user", content: "again" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "add", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "call_1", content: "2" },
    ]);
  });
});
