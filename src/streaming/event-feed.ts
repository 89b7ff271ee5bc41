import { CLOSE_CODES, type Cursor, type EventEnvelope, type SubscriberMode } from "../session/rpc";

/** What opens a subscriber socket to the session object (the session client). */
export interface Subscriber {
  subscribe(input: { mode: SubscriberMode; cursor: Cursor | null }): Promise<{ webSocket: WebSocket }>;
}

/** How often a feed whose socket the object closed (a restart, an eviction) subscribes again before it gives up. */
const MAX_RESUBSCRIBES = 3;

/**
 * Why a feed ended: the consumer closed it, the session was deleted, the credential it was opened
 * with no longer holds (revoked, expired, no longer a member), or the object could not be reached again.
 */
export type FeedEnd = "closed" | "session_deleted" | "reauthenticate" | "lost";

/**
 * A session's events, read by the Worker for a protocol route (the AI SDK stream, AG-UI): a
 * subscriber socket to the session object in client mode (one JSON envelope per message), from a
 * stored sequence on. Replay, the delta snapshot and live events come as they do for `GET …/ws`.
 * If the object closes the socket for anything but a delete, the feed subscribes again after the
 * last stored event it read, so the consumer sees no gap and no duplicate.
 */
export class EventFeed {
  readonly #open: (afterSequence: number) => Promise<WebSocket>;
  #socket: WebSocket;
  #queue: EventEnvelope[] = [];
  #wake: (() => void) | null = null;
  #ended: FeedEnd | null = null;
  #afterSequence: number;
  #resubscribes = 0;

  private constructor(open: (afterSequence: number) => Promise<WebSocket>, socket: WebSocket, afterSequence: number) {
    this.#open = open;
    this.#afterSequence = afterSequence;
    this.#socket = socket;
    this.#attach(socket);
  }

  /**
   * Subscribes to the session after `afterSequence` (0: from the start) as the client's caller.
   * The object's refusals (unknown session, another org's, a cursor it never handed out, a full
   * stream cap) become the usual problem responses, before any stream starts.
   */
  static async open(session: Subscriber, afterSequence: number): Promise<EventFeed> {
    const open = async (after: number): Promise<WebSocket> =>
      (await session.subscribe({ mode: "client", cursor: { sequence: after, path: "query.after_sequence" } })).webSocket;
    return new EventFeed(open, await open(afterSequence), afterSequence);
  }

  /** The next event, or why the feed ended. */
  async next(): Promise<EventEnvelope | FeedEnd> {
    for (;;) {
      const event = this.#queue.shift();
      if (event) {
        if (event.type !== "message.delta") this.#afterSequence = event.sequence;
        return event;
      }
      if (this.#ended) return this.#ended;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Stops reading: the object's socket is closed, so its stream slot is free at once. */
  close(): void {
    this.#end("closed");
    try {
      this.#socket.close(1000, "feed closed");
    } catch {
      // already closed
    }
  }

  #attach(socket: WebSocket): void {
    socket.accept();
    socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string" || this.#ended) return;
      this.#queue.push(JSON.parse(event.data) as EventEnvelope);
      this.#notify();
    });
    const onClose = (event: Event) => {
      if (this.#ended || socket !== this.#socket) return;
      const code = "code" in event && typeof event.code === "number" ? event.code : 0;
      if (code === CLOSE_CODES.sessionDeleted) this.#end("session_deleted");
      else if (code === CLOSE_CODES.reauthenticate) this.#end("reauthenticate");
      else void this.#resubscribe();
    };
    socket.addEventListener("close", onClose);
    socket.addEventListener("error", onClose);
  }

  async #resubscribe(): Promise<void> {
    if (this.#resubscribes >= MAX_RESUBSCRIBES) {
      this.#end("lost");
      return;
    }
    this.#resubscribes += 1;
    // Events already queued are read first; the new socket starts after the last stored one among them.
    const stored = this.#queue.filter((e) => e.type !== "message.delta").at(-1);
    try {
      const socket = await this.#open(stored?.sequence ?? this.#afterSequence);
      if (this.#ended) {
        socket.close(1000, "feed closed");
        return;
      }
      this.#socket = socket;
      this.#attach(socket);
    } catch {
      this.#end("lost");
    }
  }

  #end(reason: FeedEnd): void {
    this.#ended ??= reason;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
