import { newId } from "../lib/ids";
import { nowIso } from "../lib/time";
import { TERMINAL_TYPES, type EventEnvelope } from "./events";
import { disconnectingFrame, eventFrame, heartbeatFrame, retryFrame } from "./sse";
import { Subscriber, type Frame, type SubscribeOptions } from "./subscriber";


export interface StreamTiming {
  heartbeatMs: number;
  /** A connection is cycled after this long, ±20 % jitter. */
  cycleMs: number;
  /** A subscriber whose unread backlog (or held backlog while replaying) passes this many bytes is dropped. */
  maxBufferedBytes: number;
  maxStreams: number;
}

/** Where replay reads stored events. */
export interface ReplaySource {
  readonly head: number;
  read(after: number, upTo: number, limit: number): Promise<EventEnvelope[]>;
}

const REPLAY_PAGE = 500;
const RECONNECT_RETRY_MS = 1000;
/** A stream the server closed keeps its queue this long for the client to read to its `disconnecting` frame; then the queue is discarded. */
const DRAIN_GRACE_MS = 10_000;

/**
 * The open SSE streams of one session. Every subscriber gets every event once, in order:
 * replay reads stored events up to the log's head at subscribe time while live events are
 * held aside, then the held events above the replayed ones are sent and the stream goes live.
 * A subscriber that stops reading is dropped once its backlog passes the byte limit, so it
 * never blocks the others or grows memory without bound.
 */
export class Fanout {
  readonly #subscribers = new Set<Subscriber>();
  /** Streams the server closed whose queue is still held: they count against the stream cap until it is freed. */
  readonly #draining = new Set<Subscriber>();
  readonly #timing: StreamTiming;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  /** The last delta sent of the reply that is streaming now (null between replies). */
  #reply: EventEnvelope | null = null;

  constructor(timing: StreamTiming) {
    this.#timing = timing;
  }

  get size(): number {
    return this.#subscribers.size;
  }

  /**
   * Whether another stream would pass the cap. A closed stream still counts while it holds more
   * unread bytes than its high-water mark (a client that reads to the end no longer does).
   */
  get full(): boolean {
    let holding = 0;
    for (const s of this.#draining) if ((s.controller.desiredSize ?? 0) < 0) holding += 1;
    return this.#subscribers.size + holding >= this.#timing.maxStreams;
  }

  /** Opens a stream: replay from `afterSequence`, then live. */
  subscribe(source: ReplaySource, options: SubscribeOptions): ReadableStream<Uint8Array> {
    let subscriber: Subscriber | undefined;
    const head = source.head;
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          subscriber = new Subscriber(controller, options);
          this.#subscribers.add(subscriber);
          this.#startTimers(subscriber);
          controller.enqueue(retryFrame(RECONNECT_RETRY_MS));
        },
        pull: () => subscriber?.wake(),
        cancel: () => {
          if (subscriber) this.#remove(subscriber);
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 16 * 1024 }),
    );
    if (subscriber) void this.#replay(subscriber, source, head);
    return stream;
  }

  /** Sends committed (or ephemeral) events to every subscriber that wants them; each frame is encoded once. */
  broadcast(envelopes: EventEnvelope[]): void {
    const frames = envelopes.map((envelope) => ({ envelope, bytes: eventFrame(envelope) }));
    for (const frame of frames) this.#track(frame.envelope);
    for (const subscriber of this.#subscribers) {
      if (subscriber.live) {
        for (const frame of frames) this.#send(subscriber, frame);
      } else if (!subscriber.hold(frames, this.#timing.maxBufferedBytes)) {
        this.#drop(subscriber);
      }
    }
  }

  /** Closes every stream (session deleted, object shutting down). */
  closeAll(): void {
    for (const subscriber of [...this.#subscribers, ...this.#draining]) {
      this.#remove(subscriber);
      try {
        subscriber.controller.close();
      } catch {
        // already closed by the client
      }
    }
  }

  /**
   * Keeps the reply so far as what was actually sent: a client that joins mid-reply gets it as one
   * delta, and the live deltas after it continue it exactly (none is counted twice).
   */
  #track(envelope: EventEnvelope): void {
    if (envelope.type === "message.delta") {
      this.#reply = envelope;
    } else if (TERMINAL_TYPES.has(envelope.type)) {
      this.#reply = null;
    } else if (envelope.type === "message.created" && this.#reply) {
      const message = envelope.data["message"] as { id?: unknown } | undefined;
      if (message?.id === this.#reply.data["message_id"]) this.#reply = null;
    }
  }

  /** The reply so far as one synthetic delta, positioned after `sequence`. */
  #replyFrame(sequence: number): Frame | null {
    const last = this.#reply;
    if (!last) return null;
    const accumulated = last.data["accumulated"];
    const envelope: EventEnvelope = {
      ...last,
      id: newId("event"),
      ts: nowIso(),
      sequence,
      data: { message_id: last.data["message_id"], delta: accumulated, accumulated },
    };
    return { envelope, bytes: eventFrame(envelope) };
  }

  /**
   * Replays stored events, waiting for the client to read between frames (a long history is
   * paced by the client, so a healthy one is never mistaken for a slow one), then hands over to
   * live without an await between reading the held events and going live.
   */
  async #replay(subscriber: Subscriber, source: ReplaySource, head: number): Promise<void> {
    try {
      while (subscriber.lastSequence < head && this.#subscribers.has(subscriber)) {
        const page = await source.read(subscriber.lastSequence, head, REPLAY_PAGE);
        if (page.length === 0) break;
        for (const envelope of page) {
          await subscriber.writable();
          if (!this.#subscribers.has(subscriber)) return;
          this.#send(subscriber, { envelope, bytes: eventFrame(envelope) });
        }
      }
    } catch {
      this.#drop(subscriber);
      return;
    }
    if (!this.#subscribers.has(subscriber)) return;
    for (const frame of subscriber.takeHeld()) this.#send(subscriber, frame);
    subscriber.live = true;
    const reply = this.#replyFrame(subscriber.lastSequence);
    if (reply) this.#send(subscriber, reply);
  }

  #send(subscriber: Subscriber, frame: Frame): void {
    const { envelope } = frame;
    if (envelope.type !== "message.delta") {
      if (envelope.sequence <= subscriber.lastSequence) return;
      subscriber.lastSequence = envelope.sequence;
    }
    if (!subscriber.wants(envelope.type)) return;
    this.#write(subscriber, frame.bytes);
  }

  #write(subscriber: Subscriber, bytes: Uint8Array): void {
    const backlog = -(subscriber.controller.desiredSize ?? 0);
    if (backlog > this.#timing.maxBufferedBytes) {
      this.#drop(subscriber);
      return;
    }
    try {
      subscriber.controller.enqueue(bytes);
    } catch {
      this.#remove(subscriber);
    }
  }

  #startTimers(subscriber: Subscriber): void {
    const jitter = 0.8 + Math.random() * 0.4;
    subscriber.cycleTimer = setTimeout(() => void this.#disconnect(subscriber, "connection_cycle"), Math.round(this.#timing.cycleMs * jitter));
    if (!this.#heartbeat) {
      this.#heartbeat = setInterval(() => {
        for (const s of this.#subscribers) this.#write(s, heartbeatFrame());
      }, this.#timing.heartbeatMs);
    }
  }

  /** Lets go of a client that fell too far behind; it resumes from its last event id. */
  #drop(subscriber: Subscriber): void {
    this.#disconnect(subscriber, "slow_consumer");
  }

  /**
   * Ends a stream from the server side: nothing more is added and the queue ends with a
   * `disconnecting` frame. If the client has not read to it within DRAIN_GRACE_MS the queue is
   * discarded; until then the stream counts against the cap, so a client that never reads cannot
   * hold stream after stream of memory.
   */
  #disconnect(subscriber: Subscriber, reason: "connection_cycle" | "slow_consumer"): void {
    if (!this.#subscribers.has(subscriber)) return;
    this.#remove(subscriber);
    try {
      subscriber.controller.enqueue(disconnectingFrame(reason, RECONNECT_RETRY_MS));
      subscriber.controller.close();
    } catch {
      return; // the client left first: nothing is held
    }
    this.#draining.add(subscriber);
    subscriber.drainTimer = setTimeout(() => {
      this.#draining.delete(subscriber);
      try {
        subscriber.controller.error(new Error("stream closed by the server"));
      } catch {
        // already gone
      }
    }, DRAIN_GRACE_MS);
  }

  #remove(subscriber: Subscriber): void {
    this.#draining.delete(subscriber);
    subscriber.release();
    if (!this.#subscribers.delete(subscriber)) return;
    if (this.#subscribers.size === 0 && this.#heartbeat) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
  }
}
