import { MAX_ROW_BYTES, MAX_STORED_PART_BYTES } from "../lib/payload-limit";

// The fan-out's sizes, and the shape of what it sends a relay.

/**
 * A replay page: at most this many stored events and this many bytes of their data (one event
 * always), so a page fits one WebSocket message (1 MiB in workerd) even when events are large.
 * A relay asks for the next page when its client has read enough.
 */
export const PAGE_EVENTS = 100;
export const PAGE_BYTES = 512 * 1024;

/**
 * The largest single message the fan-out sends a client socket: a stored row (an event), or a
 * delta carrying a reply's text twice (`delta` and `accumulated`, each up to a stored part),
 * plus its envelope.
 */
const LARGEST_FRAME_BYTES = Math.max(MAX_ROW_BYTES, 2 * MAX_STORED_PART_BYTES) + 64 * 1024;

/** The backlog limit is never below two of the largest messages, so one large event never closes a client that reads. */
export const MIN_BACKLOG_BYTES = 2 * LARGEST_FRAME_BYTES;

/** Between replay pages a client socket's queue may drain to this (a page) before the next page is sent. */
export const DRAIN_LOW_WATER_BYTES = 512 * 1024;
/** How long replay waits for a client's queue to drain between pages, and how often it looks. */
export const DRAIN_WAIT_MS = 10_000;
export const DRAIN_POLL_MS = 20;

/**
 * Whether a client socket is too far behind to be sent another message: what is still queued from
 * earlier sends (`bufferedAmount`, read before this send) passes `limit`. A runtime that does not
 * report it (workerd under test, cloudflare/workerd#988) never closes on it.
 */
export function tooFarBehind(bufferedAmount: number | undefined, limit: number): boolean {
  return typeof bufferedAmount === "number" && bufferedAmount > limit;
}

const encoder = new TextEncoder();

/** A message to a relay: its kind (`STREAM.page` or `STREAM.live`), then the SSE text as UTF-8. */
export function relayFrame(kind: number, sse: string): Uint8Array {
  const body = encoder.encode(sse);
  const frame = new Uint8Array(body.length + 1);
  frame[0] = kind;
  frame.set(body, 1);
  return frame;
}

/** The tag of a caller's subscriber sockets (the per-caller cap counts them). */
export function callerTag(caller: string): string {
  return `caller:${caller}`;
}
