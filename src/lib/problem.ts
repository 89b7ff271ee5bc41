import type { Context } from "hono";
import { type ApiError, ERROR_CATALOGUE } from "./errors";

/** Renders an ApiError as the one problem+json body of the API (spec §3). */
export function problemResponse(c: Context, err: ApiError): Response {
  const requestId = (c.get("requestId") as string | undefined) ?? "";
  const body: Record<string, unknown> = {
    type: "about:blank",
    title: ERROR_CATALOGUE[err.code].title,
    status: err.status,
    code: err.code,
    detail: err.message,
    error: err.message,
    request_id: requestId,
  };
  if (err.errors) body.errors = err.errors;
  const headers = new Headers(err.headers);
  headers.set("content-type", "application/problem+json");
  if (err.retryAfterSeconds !== undefined) {
    const seconds = Math.max(1, Math.ceil(err.retryAfterSeconds));
    body.retry_after_seconds = seconds;
    headers.set("retry-after", String(seconds));
  }
  if (requestId) headers.set("x-request-id", requestId);
  return new Response(JSON.stringify(body), { status: err.status, headers });
}
