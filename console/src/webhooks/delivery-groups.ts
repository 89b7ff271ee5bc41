import type { WebhookDelivery } from "../api/types";

/** Where one message stands: delivered, still being retried by the queue, or given up on. */
type MessageOutcome = "delivered" | "retrying" | "dead_lettered" | "failed";

/** One message (one `webhook-id`) with its attempts, newest attempt first. */
export interface DeliveryGroup {
  messageId: string;
  eventType: string;
  outcome: MessageOutcome;
  /** The attempts made (the dead-letter record is not one). */
  attempts: number;
  last: WebhookDelivery;
  rows: WebhookDelivery[];
}

/**
 * Groups a page of the delivery log (newest first) by message, in the order of each message's
 * latest row. A message is delivered once an attempt succeeded, dead-lettered once the queue gave
 * up, `failed` when its one attempt failed and it is not retried (a test event), and otherwise
 * retrying.
 */
export function groupDeliveries(rows: readonly WebhookDelivery[]): DeliveryGroup[] {
  const groups = new Map<string, WebhookDelivery[]>();
  for (const row of rows) {
    const list = groups.get(row.message_id) ?? [];
    list.push(row);
    groups.set(row.message_id, list);
  }
  return [...groups.entries()].map(([messageId, list]) => {
    const last = list[0] as WebhookDelivery;
    const outcome: MessageOutcome = list.some((r) => r.status === "succeeded")
      ? "delivered"
      : list.some((r) => r.status === "dead_lettered")
        ? "dead_lettered"
        : last.event_type === "webhook.test"
          ? "failed"
          : "retrying";
    return { messageId, eventType: last.event_type, outcome, attempts: list.filter((r) => r.attempt !== null).length, last, rows: list };
  });
}

/** One attempt in a few words: "204 in 12 ms", "timeout after 10.00 s", "gave up". */
export function describeAttempt(row: WebhookDelivery, formatMs: (ms: number) => string): string {
  if (row.status === "dead_lettered") return "gave up: moved to the dead-letter queue";
  const took = row.duration_ms === null ? "" : ` in ${formatMs(row.duration_ms)}`;
  if (row.status === "succeeded") return `${row.response_status ?? "2xx"}${took}`;
  return `${row.error ?? "failed"}${took}`;
}
