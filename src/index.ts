import { createApp } from "./app";
import type { Env } from "./env";
import { handleWebhookBatch } from "./webhooks/consumer";
import type { WebhookQueueMessage } from "./webhooks/messages";

export { RateLimiter } from "./rate-limit/login-limiter-object";
// Every Durable Object class the Worker binds (wrangler.toml [[durable_objects.bindings]]):
// one per session, the SSE relay of a session in a location, and the exact global counter of
// login and register attempts.
export { SessionObject } from "./session/session-object";
export { SseRelayObject } from "./streaming/relay-object";

const app = createApp();

/** The Worker: the API over HTTP, and the consumer of the webhook queues (wrangler.toml [[queues.consumers]]). */
export default {
  fetch: app.fetch,
  queue: (batch, env) => handleWebhookBatch(batch, env),
} satisfies ExportedHandler<Env, WebhookQueueMessage>;
