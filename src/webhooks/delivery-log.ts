import { and, eq, isNotNull, lt, lte, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../db/client";
import { webhookDeliveries, webhooks } from "../db/schema";
import { newId } from "../lib/ids";
import type { AttemptResult } from "./attempt";

/** How long the delivery log keeps an attempt. */
export const DELIVERY_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** How long an endpoint may fail every attempt before it is disabled. */
const DISABLE_AFTER_FAILING_MS = 3 * 24 * 60 * 60 * 1000;

/** The reason a disabled endpoint shows when it was disabled for failing. */
export const FAILING_REASON = "Every delivery attempt failed for 3 days; PATCH status to enabled once the receiver works again";

/** One message for one endpoint, as the log names it. */
export interface LoggedMessage {
  webhookId: string;
  orgId: string;
  messageId: string;
  eventType: string;
}

function row(
  message: LoggedMessage,
  at: Date,
  fields: Pick<typeof webhookDeliveries.$inferInsert, "attempt" | "status" | "responseStatus" | "durationMs" | "error">,
) {
  return {
    id: newId("delivery"),
    webhookId: message.webhookId,
    orgId: message.orgId,
    messageId: message.messageId,
    eventType: message.eventType,
    createdAt: at.toISOString(),
    ...fields,
  };
}

/** Drops the endpoint's attempts older than the retention (the index makes it a range delete). */
function prune(db: Database, webhookId: string, at: Date) {
  const cutoff = new Date(at.getTime() - DELIVERY_RETENTION_MS).toISOString();
  return db.delete(webhookDeliveries).where(and(eq(webhookDeliveries.webhookId, webhookId), lt(webhookDeliveries.createdAt, cutoff)));
}

/** One attempt to log: the message, its attempt number, what it came to, and whether it counts toward the endpoint's health (a test event does not). */
export interface LoggedAttempt {
  message: LoggedMessage;
  attempt: number;
  result: AttemptResult;
  countsForHealth: boolean;
}

/**
 * Logs the attempts of one consumer batch and keeps each endpoint's failure streak, in one D1
 * batch (one round trip), in the attempts' order: a success ends the streak; a failure starts it
 * (or keeps its start) and, when it began 3 days ago or more, disables the endpoint with the
 * reason. Each endpoint's rows past the retention are dropped in the same batch. Returns the
 * endpoints these attempts disabled.
 */
export async function logAttempts(db: Database, attempts: readonly LoggedAttempt[]): Promise<Set<string>> {
  const at = new Date();
  const now = at.toISOString();
  const cutoff = new Date(at.getTime() - DISABLE_AFTER_FAILING_MS).toISOString();
  const statements: BatchItem<"sqlite">[] = [];
  const disables: { index: number; webhookId: string }[] = [];
  for (const { message, attempt, result, countsForHealth } of attempts) {
    const status = result.ok ? "succeeded" : "failed";
    statements.push(
      db
        .insert(webhookDeliveries)
        .values(
          row(message, at, { attempt, status, responseStatus: result.responseStatus, durationMs: result.durationMs, error: result.error }),
        ),
    );
    if (!countsForHealth) continue;
    if (result.ok) {
      statements.push(
        db
          .update(webhooks)
          .set({ failingSince: null })
          .where(and(eq(webhooks.id, message.webhookId), isNotNull(webhooks.failingSince))),
      );
      continue;
    }
    statements.push(
      db
        .update(webhooks)
        .set({ failingSince: sql`coalesce(${webhooks.failingSince}, ${now})` })
        .where(eq(webhooks.id, message.webhookId)),
    );
    disables.push({ index: statements.length, webhookId: message.webhookId });
    statements.push(
      db
        .update(webhooks)
        .set({ status: "disabled", disabledReason: FAILING_REASON, updatedAt: now })
        .where(and(eq(webhooks.id, message.webhookId), eq(webhooks.status, "enabled"), lte(webhooks.failingSince, cutoff)))
        .returning({ id: webhooks.id }),
    );
  }
  for (const webhookId of new Set(attempts.map((a) => a.message.webhookId))) statements.push(prune(db, webhookId, at));
  const [first, ...rest] = statements;
  if (!first) return new Set();
  const results = await db.batch([first, ...rest]);
  return new Set(disables.filter(({ index }) => (results[index] as unknown[]).length > 0).map(({ webhookId }) => webhookId));
}

/** Logs that the queue gave up on a message after its last retry (it is in the dead-letter queue). */
export async function logDeadLettered(db: Database, message: LoggedMessage): Promise<void> {
  const at = new Date();
  await db.insert(webhookDeliveries).values(
    row(message, at, {
      attempt: null,
      status: "dead_lettered",
      responseStatus: null,
      durationMs: null,
      error: "Every attempt failed; the message was moved to the dead-letter queue",
    }),
  );
}
