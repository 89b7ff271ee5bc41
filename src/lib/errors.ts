import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The closed error catalogue: every error code the API can return, with its HTTP status,
 * its problem-details title and the default safe sentence. Types, runtime statuses and the
 * OpenAPI error responses all derive from this one map.
 */
export const ERROR_CATALOGUE = {
  invalid_json: { status: 400, title: "Bad Request", detail: "The request body is not valid JSON" },
  validation_failed: { status: 400, title: "Bad Request", detail: "The request has invalid fields" },
  input_too_large: { status: 400, title: "Bad Request", detail: "A field is over its size limit" },
  invalid_id: { status: 400, title: "Bad Request", detail: "The id in the path is not a valid id" },
  invalid_cursor: { status: 400, title: "Bad Request", detail: "The resume cursor does not name an event of this session" },
  unauthorized: { status: 401, title: "Unauthorized", detail: "Missing or invalid credentials" },
  token_expired: { status: 401, title: "Unauthorized", detail: "The access token has expired" },
  forbidden: { status: 403, title: "Forbidden", detail: "Your role does not allow this action" },
  route_not_found: { status: 404, title: "Not Found", detail: "No route matches this path" },
  agent_not_found: { status: 404, title: "Not Found", detail: "Agent not found" },
  session_not_found: { status: 404, title: "Not Found", detail: "Session not found" },
  capability_not_found: { status: 404, title: "Not Found", detail: "Capability not found" },
  harness_not_found: { status: 404, title: "Not Found", detail: "Harness not found" },
  provider_not_found: { status: 404, title: "Not Found", detail: "LLM provider not found" },
  model_not_found: { status: 404, title: "Not Found", detail: "LLM model not found" },
  mcp_server_not_found: { status: 404, title: "Not Found", detail: "MCP server not found" },
  org_not_found: { status: 404, title: "Not Found", detail: "Organization not found" },
  member_not_found: { status: 404, title: "Not Found", detail: "Member not found" },
  api_key_not_found: { status: 404, title: "Not Found", detail: "API key not found" },
  user_not_found: { status: 404, title: "Not Found", detail: "User not found" },
  webhook_not_found: { status: 404, title: "Not Found", detail: "Webhook endpoint not found" },
  method_not_allowed: { status: 405, title: "Method Not Allowed", detail: "This method is not allowed on this path" },
  conflict: { status: 409, title: "Conflict", detail: "The request conflicts with the current state" },
  not_waiting_for_tool_results: { status: 409, title: "Conflict", detail: "The session is not waiting for tool results" },
  tool_call_already_answered: { status: 409, title: "Conflict", detail: "This tool call already has a result" },
  tool_call_already_decided: { status: 409, title: "Conflict", detail: "This tool call has already been decided" },
  mcp_server_name_taken: { status: 409, title: "Conflict", detail: "The organization already has an MCP server of this name" },
  idempotency_key_in_progress: {
    status: 409,
    title: "Conflict",
    detail: "A request with this Idempotency-Key is still in progress; retry later",
  },
  webhook_limit_reached: {
    status: 409,
    title: "Conflict",
    detail: "The organization has the most webhook endpoints it may have; delete one first",
  },
  email_taken: { status: 409, title: "Conflict", detail: "An account with this email already exists" },
  refresh_token_reused: { status: 401, title: "Unauthorized", detail: "This refresh token was already used; its session was revoked" },
  payload_too_large: { status: 413, title: "Content Too Large", detail: "The request body is over the size limit" },
  unsupported_media_type: { status: 415, title: "Unsupported Media Type", detail: "The request body must be application/json" },
  upgrade_required: { status: 426, title: "Upgrade Required", detail: "This route is a WebSocket: send Upgrade: websocket" },
  invalid_state: { status: 422, title: "Unprocessable Content", detail: "This change is not allowed in the current state" },
  unknown_capability: { status: 422, title: "Unprocessable Content", detail: "Unknown capability" },
  unknown_model: { status: 422, title: "Unprocessable Content", detail: "Unknown model" },
  agent_archived: { status: 422, title: "Unprocessable Content", detail: "The agent is archived" },
  unknown_harness: { status: 422, title: "Unprocessable Content", detail: "Unknown harness: this API has one, the built-in turn loop" },
  mcp_url_not_allowed: {
    status: 422,
    title: "Unprocessable Content",
    detail: "MCP server URLs must be public https URLs on this deployment",
  },
  unknown_tool_call: { status: 422, title: "Unprocessable Content", detail: "No pending tool call of this session has this id" },
  unsupported_feature: {
    status: 422,
    title: "Unprocessable Content",
    detail: "This feature of the upstream Everruns API is not supported here",
  },
  idempotency_key_reused: { status: 422, title: "Unprocessable Content", detail: "This Idempotency-Key was used with a different request" },
  rate_limited: { status: 429, title: "Too Many Requests", detail: "Too many requests; retry later" },
  too_many_streams: { status: 429, title: "Too Many Requests", detail: "Too many open streams on this session" },
  internal_error: { status: 500, title: "Internal Server Error", detail: "Internal server error" },
  mcp_unavailable: { status: 502, title: "Bad Gateway", detail: "The MCP server could not be reached or did not answer as MCP" },
  service_unavailable: { status: 503, title: "Service Unavailable", detail: "A dependency is unavailable; retry later" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string; detail: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/**
 * The code for an error that carries only a status (an HTTPException from Hono or a library),
 * chosen explicitly per status rather than by the catalogue's order.
 */
const GENERIC_CODES: Readonly<Partial<Record<number, ErrorCode>>> = {
  400: "invalid_json",
  401: "unauthorized",
  403: "forbidden",
  404: "route_not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  426: "upgrade_required",
  422: "invalid_state",
  429: "rate_limited",
  500: "internal_error",
  503: "service_unavailable",
};

/** The generic code of an HTTP status, or null when the catalogue has none for it. */
export function codeForStatus(status: number): ErrorCode | null {
  return GENERIC_CODES[status] ?? null;
}

/** One field-level problem of a validation failure: where it is, never what its value was. */
export interface FieldError {
  path: string;
  message: string;
}

interface ApiErrorOptions {
  detail?: string;
  errors?: FieldError[];
  /** Seconds a client should wait (429, 503): sets `Retry-After` and `retry_after_seconds`. */
  retryAfterSeconds?: number;
  headers?: Record<string, string>;
  cause?: unknown;
}

/** The one error type of the API; `onError` renders it as problem+json. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: ContentfulStatusCode;
  readonly errors: FieldError[] | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, options: ApiErrorOptions = {}) {
    super(options.detail ?? ERROR_CATALOGUE[code].detail, { cause: options.cause });
    this.name = "ApiError";
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.errors = options.errors;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers ?? {};
  }
}
