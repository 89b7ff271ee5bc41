import { describeError, logLine } from "../lib/log";
import type { EventFeed, FeedEnd } from "./event-feed";
import type { TurnOp, TurnTracker } from "./turn-tracker";

/** How a client protocol shows a turn: SSE frames per op, before the first and after the last. */
export interface Projection {
  tracker: TurnTracker;
  /** Frames before anything of the turn (AG-UI's RUN_STARTED). */
  prelude: string[];
  /** Ops known before any event is read (a continuation's start, or its end when calls still wait). */
  opening: TurnOp[];
  frames(op: TurnOp): string[];
  /** Frames after the turn's end (the AI SDK's `[DONE]`). */
  closing: string[];
}

const encoder = new TextEncoder();

/** What a client is told when its feed ends before the turn does: the sentence, and the code AG-UI's RUN_ERROR carries. */
const FEED_ENDS: Record<Exclude<FeedEnd, "closed">, [string, string]> = {
  session_deleted: ["The session was deleted", "stream_lost"],
  reauthenticate: [
    "The credential this stream was opened with is no longer valid (revoked, expired, or no longer a member); authenticate again to resume",
    "reauthenticate",
  ],
  lost: ["The session's stream was lost; reconnect to resume", "stream_lost"],
};

/**
 * An SSE response body: a turn read from a feed of session events through a projection, until
 * the turn's stream is complete, with a comment heartbeat so no proxy drops a quiet stream (a turn
 * waiting for a slow model). A client that goes away closes the feed, and with it the
 * subscription to the session object. Without a feed, only what is known already is sent.
 */
export function projectedStream(feed: EventFeed | null, projection: Projection, heartbeatMs: number): ReadableStream<Uint8Array> {
  const { tracker } = projection;
  const framesOf = (ops: TurnOp[]) => ops.flatMap((op) => projection.frames(op));
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    if (heartbeat !== undefined) clearInterval(heartbeat);
    feed?.close();
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
      const finish = (frames: string[]) => {
        send([...frames, ...projection.closing]);
        stop();
        controller.close();
      };
      const opening = [...projection.prelude, ...framesOf(projection.opening)];
      if (!feed || tracker.done) {
        finish(opening);
        return;
      }
      send(opening);
      heartbeat = setInterval(() => {
        if (!send([": heartbeat\n\n"])) stop();
      }, heartbeatMs);
      const pump = async () => {
        for (;;) {
          const next = await feed.next();
          if (next === "closed") return; // the client went away
          if (typeof next === "string") {
            finish(framesOf(tracker.lost(...FEED_ENDS[next])));
            return;
          }
          const frames = framesOf(tracker.push(next));
          if (tracker.done) {
            finish(frames);
            return;
          }
          if (!send(frames)) {
            stop();
            return;
          }
        }
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
