import { outboundUrlRefusal } from "../lib/public-url";

/** The Worker var that lets webhook URLs reach private networks (docs/WEBHOOKS.md). */
export interface WebhookUrlEnv {
  /** Exactly `true` allows private and loopback addresses and plain http; anything else, or unset, does not. */
  ALLOW_PRIVATE_WEBHOOK_URLS?: string | undefined;
}

/** Whether webhook URLs may be private or plain http: off unless the var is exactly `true`, so a typo never opens it. */
export function privateWebhookUrlsAllowed(env: WebhookUrlEnv): boolean {
  return env.ALLOW_PRIVATE_WEBHOOK_URLS === "true";
}

const HINT = "set ALLOW_PRIVATE_WEBHOOK_URLS=true to deliver to a receiver on this machine";

/**
 * Why a webhook may not be delivered to `raw`, or null when it may. With private URLs allowed
 * any http(s) URL without credentials goes. Otherwise it must be https (the signature travels in
 * its headers) to a public host by web_fetch's address policy; any port. Checked when an endpoint
 * is written and again before every delivery, since the setting may change in between.
 */
export function webhookUrlRefusal(raw: string, allowPrivate: boolean): string | null {
  return outboundUrlRefusal(raw, allowPrivate, HINT);
}
