import { signedHeaders } from "./signing";

/** How long a receiver has to answer one delivery (spec §9). */
const DELIVERY_TIMEOUT_MS = 10_000;

/** A receiver's answer is read (and dropped) up to this many bytes, so a huge body cannot hold the consumer. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** What one attempt came to: the receiver's status (null when none came back), how long it took, and why it failed. */
export interface AttemptResult {
  ok: boolean;
  responseStatus: number | null;
  durationMs: number;
  /** A short, safe reason on failure (`timeout`, `network error`, `HTTP 500`, `redirect not followed`); null on success. */
  error: string | null;
}

/** Reads and drops at most MAX_RESPONSE_BYTES of the answer (the connection is then released). */
async function drain(res: Response): Promise<void> {
  if (!res.body) return;
  const reader = res.body.getReader();
  let read = 0;
  try {
    while (read < MAX_RESPONSE_BYTES) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The answer's body does not matter, only its status.
  }
}

/**
 * POSTs one signed delivery. Success is a 2xx; a redirect is not followed (it could point
 * anywhere, and the signature was made for this URL) and counts as a failure, as do other
 * statuses, a network error and no answer within DELIVERY_TIMEOUT_MS.
 */
export async function attemptDelivery(url: string, secrets: readonly string[], messageId: string, body: string): Promise<AttemptResult> {
  const headers = {
    ...(await signedHeaders(secrets, messageId, Math.floor(Date.now() / 1000), body)),
    "content-type": "application/json",
    "user-agent": "everruns-edge-webhooks/1",
  };
  const started = Date.now();
  try {
    const res = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
    await drain(res);
    const durationMs = Date.now() - started;
    const ok = res.status >= 200 && res.status < 300;
    const error = ok ? null : res.status >= 300 && res.status < 400 ? "redirect not followed" : `HTTP ${res.status}`;
    return { ok, responseStatus: res.status, durationMs, error };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return { ok: false, responseStatus: null, durationMs: Date.now() - started, error: timedOut ? "timeout" : "network error" };
  }
}
