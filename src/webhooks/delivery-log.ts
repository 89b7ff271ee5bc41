import { and, eq, isNotNull, lt, lte, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { webhookDeliveries, webhooks } from "../db/schema";
import { newId } from "../lib/ids";
import type { AttemptResult } from "./attempt";

/** How long the delivery log keeps an attempt. */
export const DELIVERY_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** How long an endpoint may fail every attempt before it is disabled. */
export const DISABLE_AFTER_FAILING_MS = 3 * 24 * 60 * 60 * 1000;

/** The reason a disabled endpoint shows when it was disabled for failing. */
export const FAILING_REASON = "Every delivery attempt failed for 3 days; PATCH status to enabled once the receiver works again";

/** One message for one endpoint, as the log names it. */
export interface LoggedMessage {
  webhookId: string;
  orgId: string;
  messageId: string;
  eventType: string;
}

function row(message: LoggedMessage, at: Date, fields: Pick<typeof webhookDeliveries.$inferInsert, "attempt" | "status" | "responseStatus" | "durationMs" | "error">) {
  return { id: newId("delivery"), webhookId: message.webhookId, orgId: message.orgId, messageId: message.messageId, eventType: message.eventType, createdAt: at.toISOString(), ...fields };
}

/** Drops the endpoint's attempts older than the retention (the index makes it a range delete). */
function prune(db: Database, webhookId: string, at: Date) {
  const cutoff = new Date(at.getTime() - DELIVERY_RETENTION_MS).toISOString();
  return db.delete(webhookDeliveries).where(and(eq(webhookDeliveries.webhookId, webhookId), lt(webhookDeliveries.createdAt, cutoff)));
}

/**
 * Logs one attempt and keeps the endpoint's failure streak, in one D1 batch (one round trip):
 * a success ends the streak; a failure starts it (or keeps its start) and, when it began 3 days
 * ago or more, disables the endpoint with the reason. A test event only logs (it says nothing
 * about the endpoint's health over time). Returns whether this attempt disabled the endpoint.
 */
export async function logAttempt(db: Database, message: LoggedMessage, attempt: number, result: AttemptResult, countsForHealth: boolean): Promise<{ disabled: boolean }> {
  const at = new Date();
  const now = at.toISOString();
  const insert = db.insert(webhookDeliveries).values(
    row(message, at, { attempt, status: result.ok ? "succeeded" : "failed", responseStatus: result.responseStatus, durationMs: result.durationMs, error: result.error }),
  );
  if (!countsForHealth) {
    await db.batch([insert, prune(db, message.webhookId, at)]);
    return { disabled: false };
  }
  if (result.ok) {
    const recover = db.update(webhooks).set({ failingSince: null }).where(and(eq(webhooks.id, message.webhookId), isNotNull(webhooks.failingSince)));
    await db.batch([insert, prune(db, message.webhookId, at), recover]);
    return { disabled: false };
  }
  const streak = db
    .update(webhooks)
    .set({ failingSince: sql`coalesce(${webhooks.failingSince}, ${now})` })
    .where(eq(webhooks.id, message.webhookId));
  const cutoff = new Date(at.getTime() - DISABLE_AFTER_FAILING_MS).toISOString();
  const disable = db
    .update(webhooks)
    .set({ status: "disabled", disabledReason: FAILING_REASON, updatedAt: now })
    .where(and(eq(webhooks.id, message.webhookId), eq(webhooks.status, "enabled"), lte(webhooks.failingSince, cutoff)))
    .returning({ id: webhooks.id });
  const [, , , disabled] = await db.batch([insert, prune(db, message.webhookId, at), streak, disable]);
  return { disabled: disabled.length > 0 };
}

/** Logs that the queue gave up on a message after its last retry (it is in the dead-letter queue). */
export async function logDeadLettered(db: Database, message: LoggedMessage): Promise<void> {
  const at = new Date();
  await db
    .insert(webhookDeliveries)
    .values(row(message, at, { attempt: null, status: "dead_lettered", responseStatus: null, durationMs: null, error: "Every attempt failed; the message was moved to the dead-letter queue" }));
}
