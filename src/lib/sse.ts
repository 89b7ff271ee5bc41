/**
 * The SSE wire format of session events (spec §5), written by the session object (event frames)
 * and by the Worker that terminates the stream (everything else). JSON never contains a raw
 * newline, so every `data:` is one line.
 */

/**
 * Why the server ends a stream; either way the client resumes from its last event id
 * (`reauthenticate`: after authenticating again, its credential expired or lost access).
 */
export type DisconnectReason = "connection_cycle" | "slow_consumer" | "server_restart" | "reauthenticate";

/** `retry:` first, so a browser's EventSource reconnects after that long. */
export function retryFrame(ms: number): string {
  return `retry: ${ms}\n\n`;
}

/** The stream is open; the official SDKs reset their reconnect backoff on it. */
export function connectedFrame(): string {
  return `event: connected\ndata: ${JSON.stringify({ status: "connected" })}\n\n`;
}

/**
 * One event. Its `id:` is the envelope's id: every id the server hands out is a resume cursor,
 * a delta's included (it resumes after the stored event the delta follows).
 */
export function eventFrame(envelope: { id: string; type: string }, json: string): string {
  return `id: ${envelope.id}\nevent: ${envelope.type}\ndata: ${json}\n\n`;
}

export function heartbeatFrame(): string {
  return ": heartbeat\n\n";
}

/** Sent before the server closes a stream, with how long to wait before reconnecting. */
export function disconnectingFrame(reason: DisconnectReason, retryMs: number): string {
  return `event: disconnecting\ndata: ${JSON.stringify({ reason, retry_ms: retryMs })}\n\n`;
}
