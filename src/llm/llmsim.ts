/**
 * llmsim: the built-in simulated model. No network, no randomness: the reply is a pure function
 * of the request, so tools and the whole turn loop can be tried offline and tested exactly.
 *
 * What it answers, by the conversation's last message:
 * - a user message that asks for tools the request offers (rules in llmsim-intents.ts, e.g.
 *   "what time is it", "weather in Paris", "what is 2 + 3", "fetch https://…") → those tool
 *   calls, all in one reply, no text. Ids are `call_<n>`, numbered after the tool calls already
 *   in the conversation, so they never repeat within a session.
 * - tool results → one sentence naming each: "get_current_time returned: {…}; get_weather
 *   failed: …".
 * - anything else → "Echo: <last user text>" (or a fixed greeting if there is no user message).
 *
 * Text streams word by word: the first delta is the first word, each next one " " + word (so
 * runs of whitespace become single spaces). The next 32 words each come after a pause
 * (`llmsimWordDelayMs`, default 15 ms; a cancel cuts it short), so a reply streams like a
 * model's and can be cancelled halfway; the rest follow at once, so echoing a long paste never
 * takes long. Usage is estimated as max(1, ceil(chars / 4)) for the prompt and for the reply.
 * The stop reason is "tool_calls" or "stop".
 */
import { type DriverOptions, resolveDriverOptions } from "./driver-options";
import { findToolIntents } from "./llmsim-intents";
import type { LlmDriver, LlmMessage, LlmRequest, LlmStreamEvent, LlmToolCall, LlmUsage } from "./types";

/** The model name of the built-in simulator (resolution's last resort). */
export const BUILTIN_LLMSIM_MODEL = "llmsim-model";

/** How many words of a reply come after a pause (the ones after the first); later words do not wait. */
export const LLMSIM_PACED_WORDS = 32;

/** What llmsim says when the conversation holds no user message at all. */
export const LLMSIM_GREETING = "Hello! I'm a simulated LLM response.";

type LlmsimReply = { kind: "text"; text: string } | { kind: "tool_calls"; calls: LlmToolCall[] };

/** The built-in simulated driver; provider base URL and key are ignored. */
export function createLlmsimDriver(options: DriverOptions = {}): LlmDriver {
  const { llmsimWordDelayMs } = resolveDriverOptions(options);
  return { stream: (request) => simulate(request, llmsimWordDelayMs) };
}

async function* simulate(request: LlmRequest, wordDelayMs: number): AsyncGenerator<LlmStreamEvent> {
  request.signal.throwIfAborted();
  const reply = planLlmsimReply(request);
  const usage: LlmUsage = { inputTokens: estimateTokens(promptChars(request)), outputTokens: 0 };
  if (reply.kind === "tool_calls") {
    for (const call of reply.calls) {
      request.signal.throwIfAborted();
      yield { type: "tool_call", call };
    }
    usage.outputTokens = estimateTokens(JSON.stringify(reply.calls).length);
  } else {
    const words = reply.text.split(/\s+/).filter((w) => w.length > 0);
    for (const [i, word] of words.entries()) {
      request.signal.throwIfAborted();
      if (i > 0 && i <= LLMSIM_PACED_WORDS) await pause(wordDelayMs, request.signal);
      yield { type: "text_delta", text: i === 0 ? word : ` ${word}` };
    }
    usage.outputTokens = estimateTokens(words.join(" ").length);
  }
  request.signal.throwIfAborted();
  yield { type: "done", usage, stopReason: reply.kind === "tool_calls" ? "tool_calls" : "stop" };
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Decides llmsim's reply to a request (the rules are in this file's header). */
function planLlmsimReply(request: Pick<LlmRequest, "messages" | "tools">): LlmsimReply {
  const { messages } = request;
  const last = messages.at(-1);
  if (last?.role === "tool") return { kind: "text", text: describeResults(messages) };
  if (last?.role === "user") {
    const intents = findToolIntents(last.text, new Set(request.tools.map((t) => t.name)));
    if (intents.length > 0) {
      const before = messages.reduce((n, m) => n + (m.role === "assistant" ? m.toolCalls.length : 0), 0);
      return { kind: "tool_calls", calls: intents.map((intent, i) => ({ id: `call_${before + i + 1}`, ...intent })) };
    }
  }
  const lastUser = messages.findLast((m) => m.role === "user");
  return { kind: "text", text: lastUser ? `Echo: ${lastUser.text}` : LLMSIM_GREETING };
}

/** One clause per trailing tool result, in order. */
function describeResults(messages: LlmMessage[]): string {
  let start = messages.length;
  while (start > 0 && messages[start - 1]?.role === "tool") start -= 1;
  const clauses: string[] = [];
  for (const message of messages.slice(start)) {
    if (message.role !== "tool") continue;
    const name = message.name || toolNameOf(messages, message.toolCallId);
    clauses.push(`${name} ${message.isError ? "failed" : "returned"}: ${message.content}`);
  }
  return clauses.join("; ");
}

/** Stored tool results may lack the tool's name; the call that asked for it has it. */
function toolNameOf(messages: LlmMessage[], toolCallId: string): string {
  for (const message of messages) {
    if (message.role !== "assistant") continue;
    const call = message.toolCalls.find((c) => c.id === toolCallId);
    if (call) return call.name;
  }
  return "tool";
}

function promptChars(request: LlmRequest): number {
  let chars = request.system.length;
  for (const message of request.messages) {
    if (message.role === "user") chars += message.text.length;
    else if (message.role === "assistant")
      chars += message.text.length + (message.toolCalls.length > 0 ? JSON.stringify(message.toolCalls).length : 0);
    else chars += message.content.length;
  }
  return chars;
}

function estimateTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}
