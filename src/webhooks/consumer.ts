import { and, eq, inArray } from "drizzle-orm";
import { createDb, type Database } from "../db/client";
import { webhooks } from "../db/schema";
import type { Env } from "../env";
import { describeError, logLine } from "../lib/log";
import { type AttemptResult, attemptDelivery } from "./attempt";
import { type LoggedAttempt, type LoggedMessage, logAttempts, logDeadLettered } from "./delivery-log";
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
    await env.WEBHOOK_QUEUE.sendBatch(
      chunk.map((t) => ({ body: { kind: "delivery", message_id: body.message_id, webhook_id: t.id, payload: body.payload } })),
    );
  }
}

/** What the consumer does with a message once its batch is handled. */
type Outcome = "ack" | "retry";

/**
 * One attempt of each delivery of a batch: the endpoints read in one query, the attempts made at
 * once, the log written in one batch. A delivery is retried unless it succeeded, is a test event
 * (sent once, its outcome is in the log), or its endpoint is gone or disabled (also by this very
 * failure). If the read or the log write fails, every delivery of the batch is retried.
 */
async function deliverAll(
  env: Env,
  db: Database,
  messages: readonly Message<DeliveryMessage>[],
): Promise<Map<Message<DeliveryMessage>, Outcome>> {
  const ids = [...new Set(messages.map((m) => m.body.webhook_id))];
  const endpoints = new Map((await db.select().from(webhooks).where(inArray(webhooks.id, ids))).map((row) => [row.id, row]));
  const allowPrivate = privateWebhookUrlsAllowed(env);
  const outcomes = new Map<Message<DeliveryMessage>, Outcome>();
  const attempted: { message: Message<DeliveryMessage>; logged: LoggedAttempt }[] = [];
  await Promise.all(
    messages.map(async (message) => {
      const { body } = message;
      const endpoint = endpoints.get(body.webhook_id);
      const isTest = body.payload.type === TEST_EVENT_TYPE;
      if (!endpoint || (endpoint.status !== "enabled" && !isTest)) {
        outcomes.set(message, "ack");
        return;
      }
      const refusal = webhookUrlRefusal(endpoint.url, allowPrivate);
      const result: AttemptResult = refusal
        ? { ok: false, responseStatus: null, durationMs: 0, error: `URL refused: ${refusal}` }
        : await attemptDelivery(endpoint.url, await signingSecrets(env, endpoint), body.message_id, JSON.stringify(body.payload));
      attempted.push({ message, logged: { message: logged(body), attempt: message.attempts, result, countsForHealth: !isTest } });
    }),
  );
  const disabled = await logAttempts(
    db,
    attempted.map((a) => a.logged),
  );
  for (const { message, logged: entry } of attempted) {
    const done = entry.result.ok || !entry.countsForHealth || disabled.has(message.body.webhook_id);
    outcomes.set(message, done ? "ack" : "retry");
  }
  return outcomes;
}

/** A message the queue gave up on: its delivery log says so (when its endpoint still exists). */
async function deadLettered(db: Database, body: WebhookQueueMessage): Promise<void> {
  if (body.kind === "event") {
    logLine("error", {
      msg: "webhook event dead-lettered before fan-out",
      message_id: body.message_id,
      type: body.payload.type,
      org_id: body.payload.data.organization_id,
    });
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
 * Messages of a batch are handled concurrently, each acknowledged or retried on its own; the
 * deliveries of a batch share one D1 read and one D1 write.
 */
export async function handleWebhookBatch(batch: MessageBatch<WebhookQueueMessage>, env: Env): Promise<void> {
  const db = createDb(env.DB);
  const retry = (message: Message<WebhookQueueMessage>) =>
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts, env.WEBHOOK_RETRY_BASE_SECONDS) });
  const failed = (message: Message<WebhookQueueMessage>, err: unknown) => {
    logLine("error", {
      msg: "webhook message failed",
      queue: batch.queue,
      kind: message.body.kind,
      message_id: message.body.message_id,
      error: describeError(err),
    });
    retry(message);
  };
  const dead = batch.queue.endsWith(DEAD_LETTER_SUFFIX);
  const deliveries = dead ? [] : batch.messages.filter((m): m is Message<DeliveryMessage> => m.body.kind === "delivery");
  const others = batch.messages.filter((m) => !deliveries.includes(m as Message<DeliveryMessage>));
  await Promise.all([
    ...others.map(async (message) => {
      try {
        const body = message.body;
        if (dead) await deadLettered(db, body);
        else if (body.kind === "event") await fanOut(env, db, body);
        message.ack();
      } catch (err) {
        failed(message, err);
      }
    }),
    (async () => {
      if (deliveries.length === 0) return;
      try {
        for (const [message, outcome] of await deliverAll(env, db, deliveries)) {
          if (outcome === "ack") message.ack();
          else retry(message);
        }
      } catch (err) {
        for (const message of deliveries) failed(message, err);
      }
    })(),
  ]);
}
