/**
 * The one streaming interface every LLM driver implements. The turn loop in the session's
 * Durable Object speaks only this; drivers translate to and from their provider's wire format.
 */

export interface LlmToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the tool's arguments object. */
  parameters: Record<string, unknown>;
}

export interface LlmToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export type LlmMessage =
  | { role: "user"; text: string; images?: LlmImage[] }
  | { role: "assistant"; text: string; toolCalls: LlmToolCall[] }
  | { role: "tool"; toolCallId: string; name: string; content: string; isError: boolean };

export type LlmImage = { url: string } | { base64: string; mediaType: string };

export interface LlmRequest {
  /** The provider's model name, e.g. `gpt-4o-mini`. */
  model: string;
  system: string;
  messages: LlmMessage[];
  tools: LlmToolDefinition[];
  /** Aborts the call (cancel); the driver stops reading and rejects with the signal's reason. */
  signal: AbortSignal;
}

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
}

export type LlmStreamEvent =
  | { type: "text_delta"; text: string }
  /** A fully assembled tool call (drivers join partial chunks before yielding it). */
  | { type: "tool_call"; call: LlmToolCall }
  | { type: "done"; usage: LlmUsage; stopReason: string };

/** The stable codes a provider failure maps to; they become `turn.failed.error_code`. */
export type LlmErrorCode = "llm_auth_failed" | "llm_rate_limited" | "llm_unavailable" | "llm_bad_response" | "llm_timeout";

/** A provider failure. Its message is safe to log but is never shown to API clients verbatim. */
export class LlmError extends Error {
  readonly code: LlmErrorCode;
  readonly retryAfterSeconds: number | undefined;
  /** The provider's HTTP status, when it answered with an error status. */
  readonly status: number | undefined;

  constructor(code: LlmErrorCode, message: string, options: { retryAfterSeconds?: number; status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "LlmError";
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.status = options.status;
  }
}

export interface LlmDriver {
  /** Streams one model call. Throws LlmError for provider failures. */
  stream(request: LlmRequest): AsyncIterable<LlmStreamEvent>;
}

type ProviderType = "openai" | "anthropic" | "llmsim";

export interface ProviderConfig {
  type: ProviderType;
  baseUrl: string | null;
  /** Decrypted key, held only in memory for the call. */
  apiKey: string | null;
}
