import { logLine, describeError } from "../lib/log";
import type { EventEnvelope } from "../session/rpc";
import type { EventFeed, FeedEnd } from "./event-feed";

/** How a protocol turns a session's events into SSE text. */
export interface Projector {
  /** Frames sent before any event (may be empty). */
  opening: string[];
  /** The frames an event adds, and whether the stream is complete after them. */
  push(event: EventEnvelope): { frames: string[]; done: boolean };
  /** The frames that end a stream whose events stopped before it was complete. */
  interrupted(end: Exclude<FeedEnd, "closed">): string[];
  /** The frames after the last one (e.g. the AI SDK's `[DONE]`). */
  closing: string[];
}

const encoder = new TextEncoder();

/**
 * An SSE response body that reads a feed of session events through a projector until the
 * projection is complete, with a comment heartbeat so no proxy drops a quiet stream (a turn
 * waiting for a slow model). A client that goes away closes the feed, and with it the
 * subscription to the session object.
 */
export function projectedStream(feed: EventFeed, projector: Projector, heartbeatMs: number): ReadableStream<Uint8Array> {
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    if (heartbeat !== undefined) clearInterval(heartbeat);
    feed.close();
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (frames: string[]): boolean => {
        if (frames.length === 0) return true;
        try {
          controller.enqueue(encoder.encode(frames.join("")));
          return true;
        } catch {
          return false; // the client is gone
        }
      };
      send(projector.opening);
      heartbeat = setInterval(() => {
        if (!send([": heartbeat\n\n"])) stop();
      }, heartbeatMs);
      const pump = async () => {
        for (;;) {
          const next = await feed.next();
          if (next === "closed") return;
          if (typeof next === "string") {
            send([...projector.interrupted(next), ...projector.closing]);
            break;
          }
          const { frames, done } = projector.push(next);
          if (!send(frames)) {
            stop();
            return;
          }
          if (done) {
            send(projector.closing);
            break;
          }
        }
        stop();
        controller.close();
      };
      void pump().catch((err: unknown) => {
        logLine("error", { msg: "protocol stream failed", error: describeError(err) });
        stop();
        try {
          controller.error(err);
        } catch {
          // already closed
        }
      });
    },
    cancel() {
      stop();
    },
  });
}
