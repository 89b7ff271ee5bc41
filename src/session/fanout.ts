import type { EventEnvelope, EventType } from "./event-types";
import { disconnectingFrame, eventFrame, heartbeatFrame, retryFrame } from "./sse";

export interface StreamTiming {
  heartbeatMs: number;
  /** A connection is cycled after this long, ±20 % jitter. */
  cycleMs: number;
  /** A subscriber whose unread backlog passes this many bytes is dropped. */
  maxBufferedBytes: number;
  maxStreams: number;
}

export interface SubscribeOptions {
  /** Deliver events with a sequence above this. */
  afterSequence: number;
  /** Allowed types (null: all), then excluded types. */
  types: ReadonlySet<EventType> | null;
  exclude: ReadonlySet<EventType>;
}

/** Where replay reads stored events and the live reply comes from. */
export interface ReplaySource {
  readonly head: number;
  read(after: number, upTo: number, limit: number): Promise<EventEnvelope[]>;
  /** The reply being streamed right now, if any, as one synthetic delta. */
  currentReplyDelta(): EventEnvelope | null;
}

const REPLAY_PAGE = 500;
/** Live events held for one subscriber while its replay runs; past this it is dropped. */
const MAX_PENDING_DURING_REPLAY = 10_000;
const RECONNECT_RETRY_MS = 1000;

class Subscriber {
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  readonly options: SubscribeOptions;
  live = false;
  pending: EventEnvelope[] = [];
  lastSequence: number;
  cycleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(controller: ReadableStreamDefaultController<Uint8Array>, options: SubscribeOptions) {
    this.controller = controller;
    this.options = options;
    this.lastSequence = options.afterSequence;
  }

  wants(type: EventType): boolean {
    if (this.options.types && !this.options.types.has(type)) return false;
    return !this.options.exclude.has(type);
  }
}

/**
 * The open SSE streams of one session. Every subscriber gets every event once, in order:
 * replay reads stored events up to the log's head at subscribe time while live events are
 * held aside, then the held events above the replayed ones are sent and the stream goes live.
 * A subscriber that stops reading is dropped once its backlog passes the byte limit, so it
 * never blocks the others or grows memory without bound.
 */
export class Fanout {
  readonly #subscribers = new Set<Subscriber>();
  readonly #timing: StreamTiming;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(timing: StreamTiming) {
    this.#timing = timing;
  }

  get size(): number {
    return this.#subscribers.size;
  }

  get full(): boolean {
    return this.#subscribers.size >= this.#timing.maxStreams;
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
        cancel: () => {
          if (subscriber) this.#remove(subscriber);
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 16 * 1024 }),
    );
    if (subscriber) void this.#replay(subscriber, source, head);
    return stream;
  }

  /** Sends committed (or ephemeral) events to every subscriber that wants them. */
  broadcast(envelopes: EventEnvelope[]): void {
    for (const subscriber of this.#subscribers) {
      if (!subscriber.live) {
        subscriber.pending.push(...envelopes);
        if (subscriber.pending.length > MAX_PENDING_DURING_REPLAY) this.#drop(subscriber);
        continue;
      }
      for (const envelope of envelopes) this.#send(subscriber, envelope);
    }
  }

  /** Closes every stream (session deleted, object shutting down). */
  closeAll(): void {
    for (const subscriber of [...this.#subscribers]) {
      this.#remove(subscriber);
      try {
        subscriber.controller.close();
      } catch {
        // already closed by the client
      }
    }
  }

  async #replay(subscriber: Subscriber, source: ReplaySource, head: number): Promise<void> {
    try {
      while (subscriber.lastSequence < head && this.#subscribers.has(subscriber)) {
        const page = await source.read(subscriber.lastSequence, head, REPLAY_PAGE);
        if (page.length === 0) break;
        for (const envelope of page) this.#send(subscriber, envelope);
      }
    } catch {
      this.#drop(subscriber);
      return;
    }
    if (!this.#subscribers.has(subscriber)) return;
    // Hand-over, synchronously: held stored events above the replay, then the reply so far.
    // Held deltas are dropped because the synthetic delta's `accumulated` already contains them.
    for (const envelope of subscriber.pending) {
      if (envelope.type !== "message.delta") this.#send(subscriber, envelope);
    }
    subscriber.pending = [];
    subscriber.live = true;
    const reply = source.currentReplyDelta();
    if (reply) this.#send(subscriber, reply);
  }

  #send(subscriber: Subscriber, envelope: EventEnvelope): void {
    const stored = envelope.type !== "message.delta";
    if (stored) {
      if (envelope.sequence <= subscriber.lastSequence) return;
      subscriber.lastSequence = envelope.sequence;
    }
    if (!subscriber.wants(envelope.type)) return;
    this.#write(subscriber, eventFrame(envelope));
  }

  #write(subscriber: Subscriber, frame: Uint8Array): void {
    const backlog = -(subscriber.controller.desiredSize ?? 0);
    if (backlog > this.#timing.maxBufferedBytes) {
      this.#drop(subscriber);
      return;
    }
    try {
      subscriber.controller.enqueue(frame);
    } catch {
      this.#remove(subscriber);
    }
  }

  #startTimers(subscriber: Subscriber): void {
    const jitter = 0.8 + Math.random() * 0.4;
    subscriber.cycleTimer = setTimeout(() => this.#cycle(subscriber), Math.round(this.#timing.cycleMs * jitter));
    if (!this.#heartbeat) {
      this.#heartbeat = setInterval(() => {
        for (const s of this.#subscribers) this.#write(s, heartbeatFrame());
      }, this.#timing.heartbeatMs);
    }
  }

  /** Tells the client to reconnect (with its last event id), then closes. */
  #cycle(subscriber: Subscriber): void {
    this.#disconnect(subscriber, "connection_cycle");
  }

  /**
   * Lets go of a client that fell too far behind: what is queued stays queued (it ends with a
   * `disconnecting` frame), nothing more is added, and the client resumes from its last event id.
   */
  #drop(subscriber: Subscriber): void {
    this.#disconnect(subscriber, "slow_consumer");
  }

  #disconnect(subscriber: Subscriber, reason: "connection_cycle" | "slow_consumer"): void {
    if (!this.#subscribers.has(subscriber)) return;
    this.#remove(subscriber);
    try {
      subscriber.controller.enqueue(disconnectingFrame(reason, RECONNECT_RETRY_MS));
      subscriber.controller.close();
    } catch {
      // the client left first
    }
  }

  #remove(subscriber: Subscriber): void {
    if (!this.#subscribers.delete(subscriber)) return;
    if (subscriber.cycleTimer !== undefined) clearTimeout(subscriber.cycleTimer);
    subscriber.pending = [];
    if (this.#subscribers.size === 0 && this.#heartbeat) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
  }
}
