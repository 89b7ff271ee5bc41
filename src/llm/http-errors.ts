import { LlmError } from "./types";

/**
 * Maps a non-2xx provider response to an LlmError: 401/403 → auth, 429 → rate limited (with
 * `retry-after`), 5xx (including Anthropic's 529) → unavailable, any other status → bad response.
 * The message holds the status and, at most, the provider's error *type* (a short identifier);
 * never the body text, which may echo part of the key.
 */
export function errorForStatus(provider: string, status: number, headers: Headers, errorType: string | undefined): LlmError {
  const detail = `${provider} answered HTTP ${status}${errorType ? ` (${errorType})` : ""}`;
  if (status === 401 || status === 403) return new LlmError("llm_auth_failed", detail, { status });
  if (status === 429) {
    const retryAfterSeconds = parseRetryAfter(headers.get("retry-after"));
    return new LlmError("llm_rate_limited", detail, retryAfterSeconds === undefined ? { status } : { status, retryAfterSeconds });
  }
  if (status >= 500) return new LlmError("llm_unavailable", detail, { status });
  return new LlmError("llm_bad_response", detail, { status });
}

/** `retry-after` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed));
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/**
 * Pulls the error type out of an OpenAI (`{error: {type, code}}`) or Anthropic
 * (`{type: "error", error: {type}}`) error body. Only identifier-like values are kept, so
 * nothing the provider echoed back (a masked key, the prompt) can reach a log line.
 */
export function errorTypeFromBody(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || !isRecord(parsed.error)) return undefined;
  return identifier(parsed.error.type) ?? identifier(parsed.error.code);
}

/** The value if it is a short identifier (`rate_limit_error`), else undefined: safe to log. */
export function identifier(value: unknown): string | undefined {
  return typeof value === "string" && /^[a-z0-9_.-]{1,64}$/i.test(value) ? value : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
