import type { LlmMessage, LlmToolDefinition } from "./types";

/**
 * Prompt size in tokens, estimated without a tokenizer (a real one's vocabulary alone is over the
 * Worker's bundle budget: cl100k is 447 KiB gzipped). Text is split the way BPE tokenizers
 * pre-split it, and each piece is costed: a run of ASCII letters (split at case changes) 1 token
 * per 5 letters, digits 1 per 3, other ASCII symbols 1 per 2, whitespace 1 per 4 (a single space
 * before a word is free), a non-ASCII character 1.25 (3 outside the Basic Multilingual Plane:
 * emoji), plus 10%. Against the cl100k and o200k tokenizers (`test/node/token-estimate.test.ts`)
 * it counts 1.1 to 2.6 times their tokens for prose, code, JSON, quotes and backslashes, digits,
 * hex, CJK, Cyrillic and emoji, and at least 0.8 times for random base64, the one kind it may
 * undercount, by less than the room a prompt leaves for the reply.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are one class of pieces the estimate counts
const PIECES = /[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+|\s+|[\x00-\x08\x0e-\x1f\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+|[^\x00-\x7f]/gu;

/** Tokens each message costs beyond its text (role, separators). */
const MESSAGE_OVERHEAD_TOKENS = 4;
/** Tokens an image is counted as (a high-detail tile set or a ~1-megapixel image). */
const IMAGE_TOKENS = 1_600;

/** Estimated tokens of a text. */
export function estimateTextTokens(text: string): number {
  let tokens = 0;
  for (const match of text.matchAll(PIECES)) {
    const piece = match[0];
    const c = piece.charCodeAt(0);
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) tokens += Math.ceil(piece.length / 5);
    else if (c >= 0x30 && c <= 0x39) tokens += Math.ceil(piece.length / 3);
    else if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) tokens += piece.length === 1 ? 0.25 : Math.ceil(piece.length / 4);
    else if (c < 0x80) tokens += Math.ceil(piece.length / 2);
    else tokens += (piece.codePointAt(0) ?? 0) > 0xffff ? 3 : 1.25;
  }
  return Math.ceil(tokens * 1.1);
}

/** Estimated tokens of one message of the prompt. */
export function estimateMessageTokens(message: LlmMessage): number {
  if (message.role === "user")
    return MESSAGE_OVERHEAD_TOKENS + estimateTextTokens(message.text) + (message.images?.length ?? 0) * IMAGE_TOKENS;
  if (message.role === "tool") return MESSAGE_OVERHEAD_TOKENS + estimateTextTokens(message.name) + estimateTextTokens(message.content);
  const calls = message.toolCalls.length > 0 ? estimateTextTokens(JSON.stringify(message.toolCalls)) : 0;
  return MESSAGE_OVERHEAD_TOKENS + estimateTextTokens(message.text) + calls;
}

/** Estimated tokens of what every call sends besides the conversation: the system prompt and the tools offered. */
export function estimateFixedTokens(system: string, tools: readonly LlmToolDefinition[]): number {
  return MESSAGE_OVERHEAD_TOKENS + estimateTextTokens(system) + (tools.length > 0 ? estimateTextTokens(JSON.stringify(tools)) : 0);
}
