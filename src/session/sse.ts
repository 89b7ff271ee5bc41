import type { EventEnvelope } from "./events";

const encoder = new TextEncoder();

/** `retry:` first, so browsers reconnect after 1 s. */
export function retryFrame(ms: number): Uint8Array {
  return encoder.encode(`retry: ${ms}\n\n`);
}

/**
 * One event. Stored events carry `id:` so `Last-Event-ID` resumes from them; deltas carry none,
 * so they never move a client's resume point. JSON never contains a raw newline, so `data:` is one line.
 */
export function eventFrame(envelope: EventEnvelope): Uint8Array {
  const id = envelope.type === "message.delta" ? "" : `id: ${envelope.id}\n`;
  return encoder.encode(`${id}event: ${envelope.type}\ndata: ${JSON.stringify(envelope)}\n\n`);
}

export function heartbeatFrame(): Uint8Array {
  return encoder.encode(": heartbeat\n\n");
}

/**
 * Sent before the server closes a stream: `connection_cycle` every ~5 minutes, `slow_consumer`
 * when the client fell too far behind. Either way the client resumes with its last event id.
 */
export function disconnectingFrame(reason: "connection_cycle" | "slow_consumer", retryMs: number): Uint8Array {
  return encoder.encode(`event: disconnecting\ndata: ${JSON.stringify({ reason, retry_ms: retryMs })}\n\n`);
}
