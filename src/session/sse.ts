import type { EventEnvelope } from "./event-types";

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

export function disconnectingFrame(retryMs: number): Uint8Array {
  return encoder.encode(`event: disconnecting\ndata: ${JSON.stringify({ reason: "connection_cycle", retry_ms: retryMs })}\n\n`);
}
