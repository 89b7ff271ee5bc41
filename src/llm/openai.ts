import { z } from "zod";
import { type DriverOptions, resolveDriverOptions } from "./driver-options";
import { identifier } from "./http-errors";
import { toOpenAiBody } from "./openai-request";
import { parseEventJson, postSse, type SseCall } from "./sse-call";
import { ToolCallAssembler } from "./tool-call-assembler";
import { type LlmDriver, LlmError, type LlmStreamEvent, type LlmUsage } from "./types";

const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

export interface OpenAiConfig {
  baseUrl: string | null;
  apiKey: string | null;
}

const ToolCallDelta = z.object({
  index: z.number().int().nonnegative().optional(),
  id: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

/** One `chat.completion.chunk` (only the fields we read); unknown fields are ignored. */
const Chunk = z.object({
  choices: z
    .array(
      z.object({
        index: z.number().optional(),
        delta: z
          .object({ content: z.string().nullish(), refusal: z.string().nullish(), tool_calls: z.array(ToolCallDelta).nullish() })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  // Compatible servers may leave out either side (or send null); a missing count is not a broken stream.
  usage: z.object({ prompt_tokens: z.number().nullish(), completion_tokens: z.number().nullish() }).nullish(),
  // Some servers report a failure inside an already-open stream.
  error: z.object({ type: z.string().nullish(), code: z.union([z.string(), z.number()]).nullish() }).nullish(),
});

/** A driver for OpenAI Chat Completions streaming, against api.openai.com or any compatible base URL. */
export function createOpenAiDriver(config: OpenAiConfig, options: DriverOptions = {}): LlmDriver {
  const resolved = resolveDriverOptions(options);
  const base = (config.baseUrl ?? OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, "");
  const headers: Record<string, string> = { "content-type": "application/json", accept: "text/event-stream" };
  // Local OpenAI-compatible servers often need no key.
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
  return {
    stream: (request) =>
      streamOpenAi({
        provider: "openai",
        url: `${base}/chat/completions`,
        headers,
        body: toOpenAiBody(request),
        signal: request.signal,
        options: resolved,
      }),
  };
}

async function* streamOpenAi(call: SseCall): AsyncGenerator<LlmStreamEvent> {
  const calls = new ToolCallAssembler("openai");
  const usage: LlmUsage = { inputTokens: 0, outputTokens: 0 };
  let stopReason = "stop";
  let finished = false;
  let callsSent = false;
  for await (const message of postSse(call)) {
    if (message.data === "[DONE]") {
      finished = true;
      break;
    }
    const parsed = Chunk.safeParse(parseEventJson("openai", message.data));
    if (!parsed.success) throw new LlmError("llm_bad_response", "openai sent a chunk of an unexpected shape");
    const chunk = parsed.data;
    if (chunk.error) throw streamError(identifier(chunk.error.type) ?? identifier(chunk.error.code) ?? "");
    if (chunk.usage) {
      usage.inputTokens = chunk.usage.prompt_tokens ?? usage.inputTokens;
      usage.outputTokens = chunk.usage.completion_tokens ?? usage.outputTokens;
    }
    // We never ask for n > 1, so only the first choice matters.
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    if (!choice) continue;
    const text = choice.delta?.content ?? choice.delta?.refusal;
    if (text) yield { type: "text_delta", text };
    choice.delta?.tool_calls?.forEach((part, position) => {
      calls.add(part.index ?? position, { id: part.id, name: part.function?.name, argumentsText: part.function?.arguments });
    });
    if (choice.finish_reason) {
      stopReason = choice.finish_reason;
      // The calls are complete once the choice finishes; the usage chunk and [DONE] follow.
      if (!callsSent) yield* toolCallEvents(calls);
      callsSent = true;
    }
  }
  // Ending without [DONE] means the connection was cut: never pass that off as a full reply.
  if (!finished) throw new LlmError("llm_bad_response", "openai stream ended before [DONE]");
  if (!callsSent) yield* toolCallEvents(calls);
  yield { type: "done", usage, stopReason };
}

function* toolCallEvents(calls: ToolCallAssembler): Generator<LlmStreamEvent> {
  for (const call of calls.takeAll()) yield { type: "tool_call", call };
}

/** An error object inside a 200 stream: the server gave up mid-reply. */
function streamError(type: string): LlmError {
  if (/rate_limit/.test(type)) return new LlmError("llm_rate_limited", `openai stream reported ${type}`);
  if (/server_error|overloaded|unavailable|timeout/.test(type)) return new LlmError("llm_unavailable", `openai stream reported ${type}`);
  return new LlmError("llm_bad_response", `openai stream reported ${type || "an error"}`);
}
