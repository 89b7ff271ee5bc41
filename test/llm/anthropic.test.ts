import { describe, expect, it } from "vitest";
import { toAnthropicMessages } from "../../src/llm/anthropic-request";
import { createDriver } from "../../src/llm/create-driver";
import type { LlmRequest } from "../../src/llm/types";
import { collect, FAST, fakeDriver, llmRequest } from "../support/drivers";
import { FAKE_PROVIDER_KEY, lastRequest, scenarioBase } from "../support/models";
import { scenarioCases } from "./scenario-cases";

describe("anthropic driver against the fake server", () => {
  scenarioCases("anthropic");
});

const conversation: Partial<LlmRequest> = {
  model: "claude-test",
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
        { id: "toolu_1", name: "add", arguments: { a: 2, b: 3 } },
        { id: "toolu_2", name: "add", arguments: { a: 1, b: 1 } },
      ],
    },
    { role: "tool", toolCallId: "toolu_1", name: "add", content: "5", isError: false },
    { role: "tool", toolCallId: "toolu_2", name: "add", content: "boom", isError: true },
    { role: "user", text: "thanks" },
  ],
};

describe("anthropic request mapping", () => {
  it("sends a streaming Messages request with x-api-key and anthropic-version", async () => {
    const { driver, base } = fakeDriver("anthropic", "text");
    await collect(driver, llmRequest(conversation));
    const sent = await lastRequest(base);
    expect(sent.count).toBe(1);
    expect(sent.headers["x-api-key"]).toBe(FAKE_PROVIDER_KEY);
    expect(sent.headers["anthropic-version"]).toBe("2023-06-01");
    expect(sent.headers).not.toHaveProperty("authorization");
    expect(sent.body).toMatchObject({ model: "claude-test", stream: true, max_tokens: 4096, system: "You are terse." });
  });

  it("maps tools to input_schema, calls to tool_use, and merges consecutive tool results into one user message", async () => {
    const { driver, base } = fakeDriver("anthropic", "text");
    await collect(driver, llmRequest(conversation));
    const { body } = await lastRequest(base);
    expect(body.tools).toEqual([
      {
        name: "add",
        description: "Adds two numbers",
        input_schema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } },
      },
    ]);
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image", source: { type: "url", url: "https://example.com/cat.png" } },
          { type: "image", source: { type: "base64", media_type: "image/png", data: "aGk=" } },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Adding." },
          { type: "tool_use", id: "toolu_1", name: "add", input: { a: 2, b: 3 } },
          { type: "tool_use", id: "toolu_2", name: "add", input: { a: 1, b: 1 } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: "5", is_error: false },
          { type: "tool_result", tool_use_id: "toolu_2", content: "boom", is_error: true },
          { type: "text", text: "thanks" },
        ],
      },
    ]);
  });

  it("leaves out system, tools and empty messages when there are none", async () => {
    const { driver, base } = fakeDriver("anthropic", "text");
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
    expect(body).not.toHaveProperty("system");
    expect(body).not.toHaveProperty("tools");
    expect(body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "hi" }] }]);
  });

  it("skips an empty reply between two user messages, merging them so roles still alternate", () => {
    const messages = toAnthropicMessages([
      { role: "user", text: "hi" },
      { role: "assistant", text: "", toolCalls: [] },
      { role: "user", text: "again" },
    ]);
    expect(messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "hi" },
          { type: "text", text: "again" },
        ],
      },
    ]);
  });

  it("accepts a base URL that already ends in /v1 and honours maxTokens", async () => {
    const base = scenarioBase("anthropic", "text");
    const driver = createDriver({ type: "anthropic", baseUrl: `${base}/v1/`, apiKey: FAKE_PROVIDER_KEY }, { ...FAST, maxTokens: 123 });
    const { error } = await collect(driver, llmRequest());
    expect(error).toBeUndefined();
    expect((await lastRequest(base)).body.max_tokens).toBe(123);
  });
});
