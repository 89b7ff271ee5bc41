import { z } from "@hono/zod-openapi";
import { expect, inject } from "vitest";
import { WebhookDeliverySchema, WebhookWithSecretSchema } from "../../src/schemas/webhooks";
import type { RecordedDelivery } from "./recorded-delivery";
import { type Caller, callAs } from "./requests";

/** Port of the webhook receiver on 127.0.0.1, started by test/global-setup.ts. */
const receiverPort = inject("webhookReceiverPort");

/** A fresh endpoint name on the receiver, and its URL (`query` adds the receiver's behaviour: `fail=2`, `hang=1`). */
export function receiverEndpoint(query = ""): { name: string; url: string } {
  const name = `r-${crypto.randomUUID()}`;
  return { name, url: `http://127.0.0.1:${receiverPort}/hooks/${name}${query ? `?${query}` : ""}` };
}

/** Tells the receiver which secrets endpoint `name` knows (each is checked on its own). */
export async function setReceiverSecrets(name: string, secrets: string[]): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${receiverPort}/__secrets?name=${name}`, { method: "POST", body: JSON.stringify(secrets) });
  await res.body?.cancel();
}

/** What the receiver's endpoint `name` got, oldest first. */
export async function received(name: string): Promise<RecordedDelivery[]> {
  return (await fetch(`http://127.0.0.1:${receiverPort}/__deliveries?name=${name}`)).json();
}

/** Sends a request straight to the receiver's endpoint (a forged or tampered delivery); returns the status. */
export async function postToReceiver(name: string, headers: Record<string, string>, body: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${receiverPort}/hooks/${name}`, { method: "POST", headers, body });
  await res.body?.cancel();
  return res.status;
}

/** Waits until `name` has received deliveries passing `done`; returns them all. */
export async function receivedUntil(
  name: string,
  done: (d: RecordedDelivery[]) => boolean,
  timeoutMs = 15_000,
): Promise<RecordedDelivery[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = await received(name);
    if (done(got)) return got;
    if (Date.now() > until) throw new Error(`the receiver got ${got.length} deliveries: ${got.map((d) => d.body).join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Registers an endpoint at the receiver (event types: all four unless given) and tells the receiver its secret. */
export async function createReceiverWebhook(caller: Caller, options: { query?: string; eventTypes?: string[] } = {}) {
  const endpoint = receiverEndpoint(options.query);
  const res = await callAs(caller, "/v1/webhooks", {
    method: "POST",
    json: {
      url: endpoint.url,
      event_types: options.eventTypes ?? ["session.idle", "session.action_required", "turn.failed", "session.deleted"],
    },
  });
  expect(res.status).toBe(201);
  const webhook = WebhookWithSecretSchema.parse(await res.json());
  await setReceiverSecrets(endpoint.name, [webhook.secret]);
  return { ...endpoint, webhook };
}

/** The endpoint's delivery log as the API shows it (newest first). */
export async function deliveries(caller: Caller, webhookId: string, query = "?limit=100") {
  const res = await callAs(caller, `/v1/webhooks/${webhookId}/deliveries${query}`);
  expect(res.status).toBe(200);
  return z
    .object({ data: z.array(WebhookDeliverySchema), total: z.number(), offset: z.number(), limit: z.number() })
    .parse(await res.json());
}

/** The parsed body of a delivery. */
export function payload(d: RecordedDelivery): { type: string; timestamp: string; data: Record<string, string> } {
  return JSON.parse(d.body);
}
