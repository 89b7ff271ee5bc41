import { describe, expect, it } from "vitest";
import type { WebhookDelivery } from "../src/api/types";
import { formatMs } from "../src/ui/format";
import { describeAttempt, groupDeliveries } from "../src/webhooks/delivery-groups";

let n = 0;
function row(messageId: string, fields: Partial<WebhookDelivery>): WebhookDelivery {
  n += 1;
  return {
    id: `delivery_${n}`,
    message_id: messageId,
    event_type: "session.idle",
    attempt: 1,
    status: "failed",
    response_status: 500,
    duration_ms: 12,
    error: "HTTP 500",
    created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    ...fields,
  };
}

describe("delivery groups", () => {
  it("groups the log by message in the order of each message's latest attempt, with where it stands", () => {
    const rows = [
      row("msg_b", { attempt: 3, status: "succeeded", response_status: 204, error: null }),
      row("msg_a", { attempt: null, status: "dead_lettered", response_status: null, duration_ms: null }),
      row("msg_b", { attempt: 2 }),
      row("msg_c", { attempt: 2, error: "timeout", response_status: null }),
      row("msg_a", { attempt: 13 }),
      row("msg_b", { attempt: 1 }),
      row("msg_t", { event_type: "webhook.test", error: "network error", response_status: null }),
    ];
    const groups = groupDeliveries(rows);
    expect(groups.map((g) => [g.messageId, g.outcome, g.attempts])).toEqual([
      ["msg_b", "delivered", 3],
      ["msg_a", "dead_lettered", 1],
      ["msg_c", "retrying", 1],
      ["msg_t", "failed", 1],
    ]);
    expect(groups[0]?.last.attempt).toBe(3);
  });

  it("says what an attempt came to in a few words", () => {
    expect(describeAttempt(row("m", { status: "succeeded", response_status: 204, error: null, duration_ms: 12 }), formatMs)).toBe(
      "204 in 12 ms",
    );
    expect(describeAttempt(row("m", { error: "timeout", response_status: null, duration_ms: 10_000 }), formatMs)).toBe("timeout in 10.0 s");
    expect(describeAttempt(row("m", { status: "dead_lettered", duration_ms: null }), formatMs)).toBe(
      "gave up: moved to the dead-letter queue",
    );
  });
});
