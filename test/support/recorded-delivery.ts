/** One delivery as the webhook receiver (test/fakes/webhook-receiver.ts) saw it: what `GET /__deliveries` lists. */
export interface RecordedDelivery {
  headers: { "webhook-id": string; "webhook-timestamp": string; "webhook-signature": string };
  body: string;
  /** For each secret of the endpoint, in order: whether `Webhook.verify` accepted the delivery with it alone. */
  verified: boolean[];
  /** What the receiver answered (0: it never did). */
  status: number;
  received_at: number;
}
