import { and, count, desc, eq, gte, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { webhookDeliveries, webhooks } from "../db/schema";
import type { Env } from "../env";
import { type EncryptionEnv, encryptSecret } from "../lib/encryption";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { nowIso } from "../lib/time";
import {
  type CreateWebhookInput,
  toWebhook,
  toWebhookDelivery,
  type UpdateWebhookInput,
  WEBHOOK_LIMITS,
  type Webhook,
  type WebhookDelivery,
  type WebhookWithSecret,
} from "../schemas/webhooks";
import { DELIVERY_RETENTION_MS } from "../webhooks/delivery-log";
import { TEST_EVENT_TYPE, type WebhookQueueMessage } from "../webhooks/messages";
import { newWebhookSecret } from "../webhooks/signing";
import { privateWebhookUrlsAllowed, type WebhookUrlEnv, webhookUrlRefusal } from "../webhooks/url-policy";

type WebhookRow = typeof webhooks.$inferSelect;

/** How long a rotated-out secret still signs deliveries. */
const PREVIOUS_SECRET_TTL_MS = 24 * 60 * 60 * 1000;

/** The reason an endpoint an admin disabled shows. */
const DISABLED_BY_ADMIN = "Disabled through the API";

/** 400 naming body.url when the webhook URL policy refuses it (checked again before every delivery). */
function assertUrlAllowed(env: WebhookUrlEnv, url: string | undefined): void {
  if (url === undefined) return;
  const refusal = webhookUrlRefusal(url, privateWebhookUrlsAllowed(env));
  if (refusal !== null) throw new ApiError("validation_failed", { errors: [{ path: "body.url", message: refusal }] });
}

/** An endpoint of the org, or 404 `webhook_not_found` (the same for another org's id). */
export async function getWebhookRow(db: Database, orgId: string, webhookId: string): Promise<WebhookRow> {
  const row = await db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.id, webhookId), eq(webhooks.orgId, orgId)))
    .get();
  if (!row) throw new ApiError("webhook_not_found");
  return row;
}

/** The org's endpoints, newest first (at most WEBHOOK_LIMITS.perOrg, so one page). */
export async function listWebhooks(db: Database, orgId: string): Promise<Webhook[]> {
  const rows = await db.select().from(webhooks).where(eq(webhooks.orgId, orgId)).orderBy(desc(webhooks.createdAt), desc(webhooks.id));
  const now = Date.now();
  return rows.map((r) => toWebhook(r, now));
}

/**
 * Registers an endpoint with a new signing secret, returned this once. The insert itself checks
 * the org's count (one statement), so concurrent creates cannot pass the limit together.
 */
export async function createWebhook(
  db: Database,
  env: EncryptionEnv & WebhookUrlEnv,
  orgId: string,
  input: CreateWebhookInput,
): Promise<WebhookWithSecret> {
  assertUrlAllowed(env, input.url);
  const id = newId("webhook");
  const secret = newWebhookSecret();
  const sealed = await encryptSecret(env, secret, id);
  const now = nowIso();
  const inserted = await db.run(sql`
    insert into ${webhooks} (id, org_id, url, description, event_types, status, secret_encrypted, created_at, updated_at)
    select ${id}, ${orgId}, ${input.url}, ${input.description ?? null}, ${JSON.stringify(input.event_types)}, 'enabled', ${sealed}, ${now}, ${now}
    where (select count(*) from ${webhooks} where org_id = ${orgId}) < ${WEBHOOK_LIMITS.perOrg}`);
  if (inserted.meta.changes !== 1) throw new ApiError("webhook_limit_reached");
  return { ...toWebhook(await getWebhookRow(db, orgId, id)), secret };
}

/** Partial update. `status: enabled` also forgets the failure streak and the reason; `disabled` stops deliveries. */
export async function updateWebhook(
  db: Database,
  env: WebhookUrlEnv,
  orgId: string,
  webhookId: string,
  input: UpdateWebhookInput,
): Promise<Webhook> {
  assertUrlAllowed(env, input.url);
  const statusChange =
    input.status === "enabled"
      ? { status: "enabled" as const, disabledReason: null, failingSince: null }
      : input.status === "disabled"
        ? { status: "disabled" as const, disabledReason: DISABLED_BY_ADMIN }
        : {};
  const updated = await db
    .update(webhooks)
    .set({
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.event_types !== undefined ? { eventTypes: input.event_types } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...statusChange,
      updatedAt: nowIso(),
    })
    .where(and(eq(webhooks.id, webhookId), eq(webhooks.orgId, orgId)))
    .returning()
    .get();
  if (!updated) throw new ApiError("webhook_not_found");
  return toWebhook(updated);
}

/** Removes an endpoint; its delivery log goes with it, and queued deliveries to it are dropped unsent. */
export async function deleteWebhook(db: Database, orgId: string, webhookId: string): Promise<void> {
  const deleted = await db
    .delete(webhooks)
    .where(and(eq(webhooks.id, webhookId), eq(webhooks.orgId, orgId)))
    .returning({ id: webhooks.id })
    .get();
  if (!deleted) throw new ApiError("webhook_not_found");
}

/**
 * A new signing secret, returned this once. The current one becomes the previous one and keeps
 * signing (beside the new one) for 24 hours, so receivers can switch without missing a delivery;
 * a secret rotated out earlier is dropped. Two rotations at once: the one that did not see the
 * other's secret is a 409, so no secret is handed out that nothing signs with.
 */
export async function rotateWebhookSecret(db: Database, env: EncryptionEnv, orgId: string, webhookId: string): Promise<WebhookWithSecret> {
  const row = await getWebhookRow(db, orgId, webhookId);
  const secret = newWebhookSecret();
  const sealed = await encryptSecret(env, secret, row.id);
  const now = Date.now();
  const updated = await db
    .update(webhooks)
    .set({
      secretEncrypted: sealed,
      previousSecretEncrypted: row.secretEncrypted,
      previousSecretExpiresAt: new Date(now + PREVIOUS_SECRET_TTL_MS).toISOString(),
      updatedAt: new Date(now).toISOString(),
    })
    .where(and(eq(webhooks.id, row.id), eq(webhooks.orgId, orgId), eq(webhooks.secretEncrypted, row.secretEncrypted)))
    .returning()
    .get();
  if (!updated)
    throw new ApiError("conflict", { detail: "The secret was rotated by another request at the same time; rotate again if needed" });
  return { ...toWebhook(updated, now), secret };
}

/** Queues a `webhook.test` delivery to this endpoint only (one attempt; its outcome shows in the delivery log). */
export async function sendTestEvent(
  db: Database,
  env: Pick<Env, "WEBHOOK_QUEUE">,
  orgId: string,
  webhookId: string,
): Promise<{ message_id: string; type: typeof TEST_EVENT_TYPE }> {
  const row = await getWebhookRow(db, orgId, webhookId);
  const messageId = newId("msg");
  const message: WebhookQueueMessage = {
    kind: "delivery",
    message_id: messageId,
    webhook_id: row.id,
    payload: { type: TEST_EVENT_TYPE, timestamp: nowIso(), data: { organization_id: orgId, webhook_id: row.id } },
  };
  await env.WEBHOOK_QUEUE.send(message);
  return { message_id: messageId, type: TEST_EVENT_TYPE };
}

/** A page of the endpoint's delivery attempts of the last 7 days, newest first: the endpoint, the page and the total in one batch. */
export async function listDeliveries(
  db: Database,
  orgId: string,
  webhookId: string,
  page: { offset: number; limit: number },
): Promise<{ data: WebhookDelivery[]; total: number; offset: number; limit: number }> {
  const since = new Date(Date.now() - DELIVERY_RETENTION_MS).toISOString();
  const scope = and(eq(webhookDeliveries.webhookId, webhookId), gte(webhookDeliveries.createdAt, since));
  const [owner, rows, totals] = await db.batch([
    db
      .select({ id: webhooks.id })
      .from(webhooks)
      .where(and(eq(webhooks.id, webhookId), eq(webhooks.orgId, orgId))),
    db
      .select()
      .from(webhookDeliveries)
      .where(scope)
      .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
      .limit(page.limit)
      .offset(page.offset),
    db.select({ total: count() }).from(webhookDeliveries).where(scope),
  ]);
  if (owner.length === 0) throw new ApiError("webhook_not_found");
  return { data: rows.map(toWebhookDelivery), total: totals[0]?.total ?? 0, offset: page.offset, limit: page.limit };
}
