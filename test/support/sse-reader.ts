import { createParser } from "eventsource-parser";
import { expect } from "vitest";
import type { EventEnvelope } from "../../src/session/rpc";
import { type Caller, callAs } from "./requests";

/** One parsed SSE frame: an event, a comment (heartbeats) or a retry hint. */
export type SseFrame =
  | { kind: "event"; event: string; id: string | undefined; data: string }
  | { kind: "comment"; comment: string }
  | { kind: "retry"; retry: number };

/** Reads an SSE response frame by frame with a maintained parser (no string splitting). */
export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  readonly #frames: SseFrame[] = [];
  readonly #parser = createParser({
    onEvent: (e) => this.#frames.push({ kind: "event", event: e.event ?? "message", id: e.id, data: e.data }),
    onComment: (comment) => this.#frames.push({ kind: "comment", comment: comment.trim() }),
    onRetry: (retry) => this.#frames.push({ kind: "retry", retry }),
  });
  #pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  #done = false;

  constructor(res: Response) {
    if (!res.body) throw new Error("response has no body");
    this.#reader = res.body.getReader();
  }

  /** The next frame, or null once the server closed the stream. */
  async next(timeoutMs = 5000): Promise<SseFrame | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.#frames.length === 0) {
      if (this.#done) return null;
      this.#pending ??= this.#reader.read();
      const left = deadline - Date.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((r) => {
        timer = setTimeout(() => r("timeout"), Math.max(0, left));
      });
      // Cleared at once: a long stream of small reads would otherwise pile up the runtime's timers.
      const result = await Promise.race([this.#pending, timeout]).finally(() => timer !== undefined && clearTimeout(timer));
      if (result === "timeout") throw new Error(`no SSE frame within ${timeoutMs} ms`);
      this.#pending = undefined;
      if (result.done) this.#done = true;
      else this.#parser.feed(this.#decoder.decode(result.value, { stream: true }));
    }
    return this.#frames.shift() ?? null;
  }

  /** Asserts how every stream opens (spec §5): `retry: 1000`, then `event: connected`. */
  async expectOpening(): Promise<void> {
    expect(await this.next()).toEqual({ kind: "retry", retry: 1000 });
    expect(await this.next()).toEqual({ kind: "event", event: "connected", id: undefined, data: JSON.stringify({ status: "connected" }) });
  }

  /** The next event frame (skipping comments, retry and the `connected` frame), parsed. */
  async nextEvent(timeoutMs = 5000): Promise<{ event: string; id: string | undefined; envelope: EventEnvelope } | null> {
    for (;;) {
      const frame = await this.next(timeoutMs);
      if (frame === null) return null;
      if (frame.kind === "event" && frame.event !== "connected")
        return { event: frame.event, id: frame.id, envelope: JSON.parse(frame.data) as EventEnvelope };
    }
  }

  /** Event envelopes up to and including the first one `stop` accepts. */
  async collectUntil(stop: (e: EventEnvelope) => boolean, timeoutMs = 8000): Promise<EventEnvelope[]> {
    const out: EventEnvelope[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const next = await this.nextEvent(Math.max(1, deadline - Date.now()));
      if (next === null) throw new Error(`stream ended after ${out.length} events before the expected one`);
      out.push(next.envelope);
      if (stop(next.envelope)) return out;
    }
  }

  /** Closes the stream from the client side. */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => undefined);
  }
}

/** Opens the session's SSE stream (optionally resuming from `query`'s since_id or a Last-Event-ID header). */
export function openStream(caller: Caller, sessionId: string, query = "", headers: Record<string, string> = {}): Promise<Response> {
  return callAs(caller, `/v1/sessions/${sessionId}/sse${query}`, { headers });
}

/**
 * Opens a stream right after another closed: the slot is free once the object has seen the close,
 * a few milliseconds later (the closing socket's message is on its way), so this retries briefly.
 */
export async function reopenStream(caller: Caller, sessionId: string, query = "", retries = 10): Promise<Response> {
  for (let attempt = 0; ; attempt += 1) {
    const res = await openStream(caller, sessionId, query);
    if (res.status === 200 || attempt === retries) return res;
    await res.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every frame until the stream closes (or `limitMs` passes). */
export async function framesUntilClosed(reader: SseReader, limitMs: number): Promise<SseFrame[]> {
  const frames: SseFrame[] = [];
  const deadline = Date.now() + limitMs;
  for (;;) {
    const frame = await reader.next(Math.max(1, deadline - Date.now()));
    if (frame === null) return frames;
    frames.push(frame);
  }
}
