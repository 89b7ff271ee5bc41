import type { D1Bookmarks } from "./db/bookmarks";
import type { Database } from "./db/client";
import type { RateLimiter } from "./rate-limit/login-limiter-object";
import type { SessionRpc } from "./session/rpc";
import type { WebhookQueueMessage } from "./webhooks/messages";

/** The Worker's bindings, declared once (wrangler.toml, .dev.vars, secrets). */
export interface Env {
  DB: D1Database;
  SESSIONS: DurableObjectNamespace<SessionRpc>;
  /** The SSE relay objects (one per session and location: src/streaming/relay-object.ts). */
  SSE_RELAYS: DurableObjectNamespace;
  /** Exact, global counters for login and register (per client IP). */
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** Workers Rate Limiting binding for the rest of the API: counted at each location, no round trip (wrangler.toml [[ratelimits]]). */
  API_RATE_LIMIT: RateLimit;
  /** Workers Rate Limiting binding for failed credentials per client address (wrangler.toml [[ratelimits]]). */
  AUTH_FAILURE_LIMIT: RateLimit;
  ASSETS: Fetcher;
  /** Webhook events and deliveries (wrangler.toml [[queues.producers]]; consumed by src/webhooks/consumer.ts). */
  WEBHOOK_QUEUE: Queue<WebhookQueueMessage>;
  /** "required" (default) or "none" (local experiments only: every request is a default org's owner). */
  AUTH_MODE?: string;
  /** Comma-separated exact origins; empty means CORS is off. */
  CORS_ALLOWED_ORIGINS?: string;
  APP_VERSION?: string;
  /** Secret: HMAC key for access tokens (HS256). */
  JWT_SECRET?: string;
  /** Secret: base64 of 32 bytes, the AES-256-GCM key for provider API keys. */
  ENCRYPTION_KEY?: string;
  /** Secret, optional: the previous encryption key while keys are being rotated. */
  ENCRYPTION_KEY_PREVIOUS?: string;
  /** Optional stream and turn tuning (milliseconds / counts); defaults in src/lib/stream-settings.ts and src/session/settings.ts. */
  SSE_HEARTBEAT_MS?: string;
  SSE_CYCLE_MS?: string;
  SSE_MAX_BUFFERED_BYTES?: string;
  SSE_MAX_STREAMS_PER_SESSION?: string;
  SSE_MAX_STREAMS_PER_CALLER?: string;
  SSE_SHARED_RELAY_FROM?: string;
  /** How often a session object re-checks its subscribers' credentials (default 4000 ms; see docs/AUTH.md). */
  STREAM_AUTH_CHECK_MS?: string;
  TURN_MAX_ITERATIONS?: string;
  TURN_DEADLINE_MS?: string;
  TURN_WATCHDOG_MS?: string;
  TURN_DELTA_BATCH_MS?: string;
  TOOL_RESULTS_TIMEOUT_MS?: string;
  /** Optional LLM driver timeouts (milliseconds); defaults in src/llm/driver-options.ts. */
  LLM_FIRST_BYTE_TIMEOUT_MS?: string;
  LLM_IDLE_TIMEOUT_MS?: string;
  /** Optional: llmsim's pause per word of the first 32 words of a reply (default 15; 0 turns it off). */
  LLMSIM_WORD_DELAY_MS?: string;
  /** Optional: tokens of the built-in llmsim model's context window (default 8,192). */
  LLMSIM_CONTEXT_WINDOW?: string;
  /**
   * Optional, off by default: exactly "true" lets LLM provider base URLs point at private,
   * loopback and link-local addresses and use plain http (local model servers). See docs/PROVIDERS.md.
   */
  ALLOW_PRIVATE_PROVIDER_URLS?: string;
  /**
   * Optional, off by default: exactly "true" lets MCP server URLs point at private, loopback and
   * link-local addresses and use plain http (a server on the developer's machine). See docs/MCP.md.
   */
  ALLOW_PRIVATE_MCP_URLS?: string;
  /** Optional: how long one MCP tools/call may take (default 60000 ms; `mcp_timeout`). */
  MCP_TOOL_TIMEOUT_MS?: string;
  /** Optional: how long a call waits for a person's approval before it is rejected (default 900000 ms; `tool_approval_timeout`). */
  TOOL_APPROVAL_TIMEOUT_MS?: string;
  /**
   * Optional, off by default: exactly "true" lets webhook URLs point at private, loopback and
   * link-local addresses and use plain http (a receiver on the developer's machine). See docs/WEBHOOKS.md.
   */
  ALLOW_PRIVATE_WEBHOOK_URLS?: string;
  /** Optional: seconds before a failed webhook delivery's first retry, doubled per retry up to 8 h (default 30; 0 retries at once). */
  WEBHOOK_RETRY_BASE_SECONDS?: string;
  /**
   * Optional, off by default: exactly "true" lets web_fetch fetch private and loopback addresses
   * over plain http too. Local development and tests only; never on a deployed Worker.
   */
  ALLOW_PRIVATE_FETCH_URLS?: string;
  /** Optional: requests per minute per client IP to login and register (default 10; 0 turns it off). */
  RATE_LIMIT_LOGIN_PER_MINUTE?: string;
}

/** Who is calling, whether or not they act in an org: set by the auth middleware on every authenticated request. */
export interface Caller {
  userId: string;
  /** The API key used, when the caller authenticated with one. */
  apiKeyId: string | null;
  /** When the credential stops being valid (an access token's `exp`, an API key's expiry), ms; null if never. */
  expiresAt: number | null;
}

/** Who is calling and the org they act in: set by the auth middleware. */
export interface Principal {
  userId: string;
  orgId: string;
  role: Role;
  /** The API key used, when the caller authenticated with one. */
  apiKeyId: string | null;
}

export type Role = "owner" | "admin" | "member";

/** An `Idempotency-Key` as the idempotency middleware read it: the key, whose it is, and a hash of the request. */
export interface IdempotencyRequest {
  key: string;
  caller: string;
  requestHash: string;
}

/**
 * Request-scoped variables set by middleware. `caller` and `principal` are optional here because
 * a public route has neither and an org-less one may lack `principal`; a route that needs them
 * declares it (middleware/traits.ts) and its handler sees them set (`SignedInEnv`, `OrgEnv`).
 */
interface AppVariables {
  requestId: string;
  /** When the request arrived (ms), stamped by the first middleware. */
  receivedAt: number;
  db: Database;
  /** The request's D1 sessions and their newest bookmark (middleware/db.ts). */
  d1: D1Bookmarks;
  /** Set on every authenticated request. */
  caller?: Caller;
  /** Set on every authenticated request that acts in an org: always, except on the org-less routes for a user with no membership. */
  principal?: Principal;
  /** Set on an idempotent route remembered by its session object (`POST …/messages`) when the request has an Idempotency-Key. */
  idempotency?: IdempotencyRequest;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}

/** What a handler of a route for any signed-in caller sees: the caller is set; the org may not be. */
export interface SignedInEnv {
  Bindings: Env;
  Variables: AppVariables & { caller: Caller };
}

/** What a handler of a route that acts in an org sees: the caller and the principal are set. */
export interface OrgEnv {
  Bindings: Env;
  Variables: AppVariables & { caller: Caller; principal: Principal };
}
