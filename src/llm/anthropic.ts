import { z } from "zod";
import { toAnthropicBody } from "./anthropic-request";
import { type DriverOptions, resolveDriverOptions } from "./driver-options";
import { identifier } from "./http-errors";
import { parseEventJson, postSse, type SseCall } from "./sse-call";
import { ToolCallAssembler } from "./tool-call-assembler";
import { type LlmDriver, LlmError, type LlmErrorCode, type LlmStreamEvent, type LlmUsage } from "./types";

const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";
const ANTHROPIC_VERSION = "2023-06-01";

export interface AnthropicConfig {
  baseUrl: string | null;
  apiKey: string | null;
}

const Usage = z.object({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
});

/** The events we act on, each with only the fields we read; other event types are skipped. */
const Events = {
  message_start: z.object({ message: z.object({ usage: Usage }) }),
  content_block_start: z.object({
    index: z.number().int().nonnegative(),
    content_block: z.object({ type: z.string(), id: z.string().optional(), name: z.string().optional() }),
  }),
  content_block_delta: z.object({
    index: z.number().int().nonnegative(),
    delta: z.object({ type: z.string(), text: z.string().optional(), partial_json: z.string().optional() }),
  }),
  content_block_stop: z.object({ index: z.number().int().nonnegative() }),
  message_delta: z.object({ delta: z.object({ stop_reason: z.string().nullish() }), usage: Usage.nullish() }),
  error: z.object({ error: z.object({ type: z.string() }) }),
};

/** A driver for the Anthropic Messages API with streaming. */
export function createAnthropicDriver(config: AnthropicConfig, options: DriverOptions = {}): LlmDriver {
  const resolved = resolveDriverOptions(options);
  // Accept both `https://api.anthropic.com` and `https://api.anthropic.com/v1` as the base.
  const base = (config.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL).replace(/\/+$/, "").replace(/\/v1$/, "");
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "text/event-stream",
    "anthropic-version": ANTHROPIC_VERSION,
  };
  if (config.apiKey) headers["x-api-key"] = config.apiKey;
  return {
    stream: (request) =>
      streamAnthropic({
        provider: "anthropic",
        url: `${base}/v1/messages`,
        headers,
        body: toAnthropicBody(request, resolved.maxTokens),
        signal: request.signal,
        options: resolved,
      }),
  };
}

async function* streamAnthropic(call: SseCall): AsyncGenerator<LlmStreamEvent> {
  const calls = new ToolCallAssembler("anthropic");
  const usage: LlmUsage = { inputTokens: 0, outputTokens: 0 };
  let stopReason = "end_turn";
  let finished = false;
  for await (const message of postSse(call)) {
    const data = parseEventJson("anthropic", message.data);
    const type = message.event ?? (typeof data === "object" && data !== null && "type" in data ? String(data.type) : "");
    if (type === "message_stop") {
      finished = true;
      break;
    }
    if (type === "message_start") {
      const event = parse(Events.message_start, data);
      const u = event.message.usage;
      // Cached prompt tokens are still prompt tokens the turn consumed.
      usage.inputTokens = (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
      usage.outputTokens = u.output_tokens ?? 0;
    } else if (type === "content_block_start") {
      const event = parse(Events.content_block_start, data);
      if (event.content_block.type === "tool_use") calls.add(event.index, { id: event.content_block.id, name: event.content_block.name });
    } else if (type === "content_block_delta") {
      const event = parse(Events.content_block_delta, data);
      if (event.delta.type === "text_delta" && event.delta.text) yield { type: "text_delta", text: event.delta.text };
      else if (event.delta.type === "input_json_delta") calls.add(event.index, { argumentsText: event.delta.partial_json });
    } else if (type === "content_block_stop") {
      const event = parse(Events.content_block_stop, data);
      if (calls.has(event.index)) yield { type: "tool_call", call: calls.take(event.index) };
    } else if (type === "message_delta") {
      const event = parse(Events.message_delta, data);
      if (event.delta.stop_reason) stopReason = event.delta.stop_reason;
      // output_tokens here is the running total for the message, not an increment.
      if (typeof event.usage?.output_tokens === "number") usage.outputTokens = event.usage.output_tokens;
    } else if (type === "error") {
      throw streamError(parse(Events.error, data).error.type);
    }
    // ping and event types added after this was written are skipped, as Anthropic asks.
  }
  if (!finished) throw new LlmError("llm_bad_response", "anthropic stream ended before message_stop");
  // A tool_use block the stream never closed is still complete once the message is.
  for (const open of calls.takeAll()) yield { type: "tool_call", call: open };
  yield { type: "done", usage, stopReason };
}

function parse<T>(schema: z.ZodType<T>, data: unknown): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new LlmError("llm_bad_response", "anthropic sent an event of an unexpected shape");
  return parsed.data;
}

const STREAM_ERROR_CODES: Record<string, LlmErrorCode> = {
  overloaded_error: "llm_unavailable",
  api_error: "llm_unavailable",
  timeout_error: "llm_timeout",
  rate_limit_error: "llm_rate_limited",
  authentication_error: "llm_auth_failed",
  permission_error: "llm_auth_failed",
};

/** An `error` event inside a 200 stream (e.g. overloaded mid-reply). */
function streamError(type: string): LlmError {
  const code = STREAM_ERROR_CODES[type] ?? "llm_bad_response";
  return new LlmError(code, `anthropic stream reported ${identifier(type) ?? "an error"}`);
}
