import { and, eq } from "drizzle-orm";
import { createDb, type Database } from "../db/client";
import { webhooks } from "../db/schema";
import type { Env } from "../env";
import { describeError, logLine } from "../lib/log";
import { attemptDelivery, type AttemptResult } from "./attempt";
import { logAttempt, logDeadLettered, type LoggedMessage } from "./delivery-log";
import { retryDelaySeconds, TEST_EVENT_TYPE, type WebhookQueueMessage } from "./messages";
import { signingSecrets } from "./secrets";
import { privateWebhookUrlsAllowed, webhookUrlRefusal } from "./url-policy";

type EventMessage = Extract<WebhookQueueMessage, { kind: "event" }>;
type DeliveryMessage = Extract<WebhookQueueMessage, { kind: "delivery" }>;

/** The most messages one sendBatch takes (Cloudflare Queues' limit). */
const SEND_BATCH_MAX = 100;

/** A dead-letter queue is named after its queue with this suffix (wrangler.toml). */
const DEAD_LETTER_SUFFIX = "-dead";

function logged(body: DeliveryMessage): LoggedMessage {
  return { webhookId: body.webhook_id, orgId: body.payload.data.organization_id, messageId: body.message_id, eventType: body.payload.type };
}

/**
 * One event of a session: one delivery message per enabled endpoint of the org that subscribes
 * to its type, all with the event's `webhook-id`. If D1 or the queue fails, the queue retries
 * the event (a partial fan-out sent twice gives a receiver the same webhook-id twice, which
 * Standard Webhooks receivers deduplicate).
 */
async function fanOut(env: Env, db: Database, body: EventMessage): Promise<void> {
  const rows = await db
    .select({ id: webhooks.id, eventTypes: webhooks.eventTypes })
    .from(webhooks)
    .where(and(eq(webhooks.orgId, body.payload.data.organization_id), eq(webhooks.status, "enabled")));
  const targets = rows.filter((r) => r.eventTypes.includes(body.payload.type));
  for (let i = 0; i < targets.length; i += SEND_BATCH_MAX) {
    const chunk = targets.slice(i, i + SEND_BATCH_MAX);
    await env.WEBHOOK_QUEUE.sendBatch(chunk.map((t) => ({ body: { kind: "delivery", message_id: body.message_id, webhook_id: t.id, payload: body.payload } })));
  }
}

/**
 * One attempt of one delivery. Returns whether the queue should try again: not after a success,
 * not for a test event (sent once, its outcome is in the log), not for an endpoint that is
 * gone or disabled (also by this very failure).
 */
async function deliverOnce(env: Env, db: Database, body: DeliveryMessage, attempt: number): Promise<boolean> {
  const endpoint = await db.select().from(webhooks).where(eq(webhooks.id, body.webhook_id)).get();
  if (!endpoint) return false;
  const isTest = body.payload.type === TEST_EVENT_TYPE;
  if (endpoint.status !== "enabled" && !isTest) return false;
  const refusal = webhookUrlRefusal(endpoint.url, privateWebhookUrlsAllowed(env));
  const result: AttemptResult = refusal
    ? { ok: false, responseStatus: null, durationMs: 0, error: `URL refused: ${refusal}` }
    : await attemptDelivery(endpoint.url, await signingSecrets(env, endpoint), body.message_id, JSON.stringify(body.payload));
  const { disabled } = await logAttempt(db, logged(body), attempt, result, !isTest);
  return !result.ok && !isTest && !disabled;
}

/** A message the queue gave up on: its delivery log says so (when its endpoint still exists). */
async function deadLettered(db: Database, body: WebhookQueueMessage): Promise<void> {
  if (body.kind === "event") {
    logLine("error", { msg: "webhook event dead-lettered before fan-out", message_id: body.message_id, type: body.payload.type, org_id: body.payload.data.organization_id });
    return;
  }
  const endpoint = await db.select({ id: webhooks.id }).from(webhooks).where(eq(webhooks.id, body.webhook_id)).get();
  if (endpoint) await logDeadLettered(db, logged(body));
}

/**
 * The Worker's queue consumer for webhooks: the main queue's messages are fanned out (events) or
 * delivered (deliveries); a failure is retried by the queue with exponential backoff
 * (`retry({ delaySeconds })`, max_retries in wrangler.toml), after which the queue moves the
 * message to the dead-letter queue, whose messages are logged here and acknowledged.
 * Messages of a batch are handled concurrently, each acknowledged or retried on its own.
 */
export async function handleWebhookBatch(batch: MessageBatch<WebhookQueueMessage>, env: Env): Promise<void> {
  const db = createDb(env.DB);
  const dead = batch.queue.endsWith(DEAD_LETTER_SUFFIX);
  await Promise.all(
    batch.messages.map(async (message) => {
      const body = message.body;
      try {
        if (dead) await deadLettered(db, body);
        else if (body.kind === "event") await fanOut(env, db, body);
        else if (await deliverOnce(env, db, body, message.attempts)) {
          message.retry({ delaySeconds: retryDelaySeconds(message.attempts, env.WEBHOOK_RETRY_BASE_SECONDS) });
          return;
        }
        message.ack();
      } catch (err) {
        logLine("error", { msg: "webhook message failed", queue: batch.queue, kind: body.kind, message_id: body.message_id, error: describeError(err) });
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts, env.WEBHOOK_RETRY_BASE_SECONDS) });
      }
    }),
  );
}
