import { z } from "@hono/zod-openapi";
import type { webhookDeliveries, webhooks } from "../db/schema";
import { WEBHOOK_EVENT_TYPES } from "../webhooks/messages";
import { boundedString } from "./common";

/** Field limits of webhook endpoints. */
export const WEBHOOK_LIMITS = { urlBytes: 2048, descriptionBytes: 1024, perOrg: 50 } as const;

const Timestamp = z.string().openapi({ example: "2026-11-22T18:00:00.000Z" });

/**
 * An http(s) URL without credentials. Whether its address may be private and its scheme plain
 * http depends on ALLOW_PRIVATE_WEBHOOK_URLS, which the service checks (src/webhooks/url-policy.ts).
 */
const WebhookUrl = boundedString(WEBHOOK_LIMITS.urlBytes)
  .pipe(z.url({ protocol: /^https?$/, message: "Must be an http or https URL" }))
  .refine((v) => {
    const url = URL.parse(v);
    return url === null || (url.username === "" && url.password === "");
  }, "Must not contain credentials")
  .openapi({
    description: "Where deliveries are POSTed. A public https URL, unless the server allows private ones (ALLOW_PRIVATE_WEBHOOK_URLS)",
    example: "https://example.com/hooks/everruns",
  });

const EventType = z.enum(WEBHOOK_EVENT_TYPES).openapi({
  description:
    "`session.idle`: a session settled (no turn running, nothing queued); `session.action_required`: a turn waits for client tool results or an approval; `turn.failed`: a turn ended failed; `session.deleted`: a session was deleted",
  example: "session.idle",
});

/** At least one event type; a type listed twice counts once. */
const EventTypes = z
  .array(EventType)
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length * 4)
  .transform((types) => [...new Set(types)])
  .openapi({ example: ["session.idle", "session.action_required"] });

const Description = boundedString(WEBHOOK_LIMITS.descriptionBytes).openapi({ example: "Our job runner" });

const Status = z.enum(["enabled", "disabled"]).openapi({ description: "Disabled endpoints get no deliveries (a test event still goes)" });

export const WebhookSchema = z
  .object({
    id: z.string().openapi({ example: "webhook_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    url: z.string(),
    description: z.string().nullable(),
    event_types: z.array(EventType),
    status: Status,
    disabled_reason: z
      .string()
      .nullable()
      .openapi({ description: "Why the endpoint was disabled (by failing for 3 days, or by an admin); null when enabled" }),
    previous_secret_expires_at: Timestamp.nullable().openapi({
      description: "After a rotation: until when deliveries are also signed with the previous secret (24 h); null otherwise",
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Webhook");

export const WebhookWithSecretSchema = WebhookSchema.extend({
  secret: z.string().openapi({
    description: "The signing secret (Standard Webhooks `whsec_` + base64). Shown only here: on create and on rotation",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  }),
}).openapi("WebhookWithSecret");

export const CreateWebhookSchema = z
  .object({
    url: WebhookUrl,
    event_types: EventTypes,
    description: Description.nullable().optional(),
  })
  .openapi("CreateWebhook");

export const UpdateWebhookSchema = z
  .object({
    url: WebhookUrl,
    event_types: EventTypes,
    description: Description.nullable(),
    status: Status.openapi({
      description: "`enabled` re-enables a disabled endpoint (and forgets its failures); `disabled` stops deliveries",
    }),
  })
  .partial()
  .openapi("UpdateWebhook");

export const WebhookDeliverySchema = z
  .object({
    id: z.string().openapi({ example: "delivery_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    webhook_id: z.string(),
    message_id: z.string().openapi({
      description: "The `webhook-id` header: the same for every attempt of one message",
      example: "msg_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f",
    }),
    event_type: z.string().openapi({ example: "session.idle" }),
    attempt: z.number().int().nullable().openapi({ description: "1 for the first attempt; null on the dead-letter record" }),
    status: z.enum(["succeeded", "failed", "dead_lettered"]).openapi({
      description: "`dead_lettered`: every retry failed (about a day) and the message was moved to the dead-letter queue",
    }),
    response_status: z.number().int().nullable().openapi({ description: "The receiver's HTTP status; null when none came back" }),
    duration_ms: z.number().int().nullable(),
    error: z.string().nullable().openapi({ description: "Why the attempt failed (`timeout`, `network error`, `HTTP 500`, …)" }),
    created_at: Timestamp,
  })
  .openapi("WebhookDelivery");

export const WebhookTestResultSchema = z
  .object({
    message_id: z.string().openapi({ description: "The test message's `webhook-id`: find its attempt in the delivery log" }),
    type: z.literal("webhook.test"),
  })
  .openapi("WebhookTestResult");

export type Webhook = z.infer<typeof WebhookSchema>;
export type WebhookWithSecret = z.infer<typeof WebhookWithSecretSchema>;
export type CreateWebhookInput = z.infer<typeof CreateWebhookSchema>;
export type UpdateWebhookInput = z.infer<typeof UpdateWebhookSchema>;
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;
type WebhookRow = typeof webhooks.$inferSelect;
type DeliveryRow = typeof webhookDeliveries.$inferSelect;

/** The one mapping from a stored endpoint to its API shape (never a secret). */
export function toWebhook(row: WebhookRow, now = Date.now()): Webhook {
  const previousValid = row.previousSecretExpiresAt !== null && Date.parse(row.previousSecretExpiresAt) > now;
  return {
    id: row.id,
    url: row.url,
    description: row.description ?? null,
    event_types: row.eventTypes.filter((t): t is (typeof WEBHOOK_EVENT_TYPES)[number] =>
      (WEBHOOK_EVENT_TYPES as readonly string[]).includes(t),
    ),
    status: row.status,
    disabled_reason: row.status === "disabled" ? (row.disabledReason ?? null) : null,
    previous_secret_expires_at: previousValid ? row.previousSecretExpiresAt : null,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export function toWebhookDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    webhook_id: row.webhookId,
    message_id: row.messageId,
    event_type: row.eventType,
    attempt: row.attempt ?? null,
    status: row.status,
    response_status: row.responseStatus ?? null,
    duration_ms: row.durationMs ?? null,
    error: row.error ?? null,
    created_at: row.createdAt,
  };
}
