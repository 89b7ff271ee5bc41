import { envInt } from "../lib/env-int";

/** The event types an endpoint can subscribe to (spec §9). */
export const WEBHOOK_EVENT_TYPES = ["session.idle", "session.action_required", "turn.failed", "session.deleted"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The type of the event `POST /v1/webhooks/{id}/test` sends (to that endpoint only, whatever it subscribes to). */
export const TEST_EVENT_TYPE = "webhook.test";

/**
 * The body every delivery carries, and all of it: thin on purpose (ids only, never message text,
 * tool arguments or secrets). A receiver fetches what it needs through the API.
 */
interface WebhookPayload {
  type: WebhookEventType | typeof TEST_EVENT_TYPE;
  /** When the event happened (RFC 3339 UTC with milliseconds). */
  timestamp: string;
  data: {
    organization_id: string;
    session_id?: string;
    agent_id?: string;
    turn_id?: string;
    webhook_id?: string;
  };
}

/**
 * What goes through the queue. An `event` is one transition of a session, sent by its object; the
 * consumer turns it into one `delivery` per subscribed endpoint. `message_id` is the Standard
 * Webhooks `webhook-id`: the same for every attempt and every endpoint of one event.
 */
export type WebhookQueueMessage =
  | { kind: "event"; message_id: string; payload: WebhookPayload }
  | { kind: "delivery"; message_id: string; webhook_id: string; payload: WebhookPayload };

/** The queue binding the producers use. */
export type WebhookQueue = Queue<WebhookQueueMessage>;

/** The longest wait between two attempts. */
const MAX_RETRY_DELAY_SECONDS = 8 * 60 * 60;

/** The default first wait: with max_retries = 12 the attempts span about 24.5 hours. */
const DEFAULT_RETRY_BASE_SECONDS = 30;

/**
 * How long the queue waits before attempt `attempts + 1`: base × 2^(attempts − 1), at most 8 hours.
 * With the default base (30 s) and wrangler.toml's 12 retries: 30 s, 1 min, 2 min, … 4 h 16 min,
 * 8 h, 8 h: about a day from the first attempt to the last. WEBHOOK_RETRY_BASE_SECONDS sets the
 * base (0: retry at once, for tests).
 */
export function retryDelaySeconds(attempts: number, baseVar: string | undefined): number {
  const base = envInt(baseVar, 0) ?? DEFAULT_RETRY_BASE_SECONDS;
  return Math.min(MAX_RETRY_DELAY_SECONDS, base * 2 ** Math.max(0, attempts - 1));
}

/** The `webhook-id` of the event stored as `event_<hex>` (its transition): every producer of the same transition names it the same. */
export function messageIdOf(eventId: string): string {
  return `msg_${eventId.slice(eventId.indexOf("_") + 1)}`;
}
