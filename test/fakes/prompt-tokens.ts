/**
 * Counts a request's prompt tokens with a real tokenizer (o200k, GPT-4o's), the way a provider
 * measures a prompt against its context window: every message's text, tool calls and tool
 * results, the system prompt and the tool definitions, plus a few tokens per message.
 */
import { encode } from "gpt-tokenizer/encoding/o200k_base";
import { isObject, type JsonObject } from "./wire";

const PER_MESSAGE = 3;

/** Every text a request's prompt is made of, as the tokenizer will count it. */
function promptTexts(request: JsonObject): string[] {
  const texts: string[] = [];
  if (typeof request.system === "string") texts.push(request.system);
  for (const message of Array.isArray(request.messages) ? request.messages : []) {
    if (!isObject(message)) continue;
    if (typeof message.content === "string") texts.push(message.content);
    else if (Array.isArray(message.content)) texts.push(JSON.stringify(message.content));
    if (message.tool_calls !== undefined) texts.push(JSON.stringify(message.tool_calls));
  }
  if (Array.isArray(request.tools) && request.tools.length > 0) texts.push(JSON.stringify(request.tools));
  return texts;
}

/** The prompt's tokens by the o200k tokenizer. */
export function promptTokens(request: JsonObject): number {
  const messages = Array.isArray(request.messages) ? request.messages.length : 0;
  return promptTexts(request).reduce((sum, text) => sum + encode(text).length, 0) + PER_MESSAGE * (messages + 1);
}
