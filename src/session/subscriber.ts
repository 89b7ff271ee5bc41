import type { EventEnvelope, EventType } from "./events";

export interface SubscribeOptions {
  /** Deliver events with a sequence above this. */
  afterSequence: number;
  /** Allowed types (null: all), then excluded types. */
  types: ReadonlySet<EventType> | null;
  exclude: ReadonlySet<EventType>;
}

/** An event with its SSE frame, encoded once for every subscriber. */
export interface Frame {
  envelope: EventEnvelope;
  bytes: Uint8Array;
}

/** One open SSE stream: its queue (the controller), what it wants, and where it is in the log. */
export class Subscriber {
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  readonly options: SubscribeOptions;
  live = false;
  lastSequence: number;
  cycleTimer: ReturnType<typeof setTimeout> | undefined;
  drainTimer: ReturnType<typeof setTimeout> | undefined;
  /** Stored events committed while this subscriber replays, sent at the hand-over. */
  #held: Frame[] = [];
  #heldBytes = 0;
  #wake: (() => void) | undefined;
  #released = false;

  constructor(controller: ReadableStreamDefaultController<Uint8Array>, options: SubscribeOptions) {
    this.controller = controller;
    this.options = options;
    this.lastSequence = options.afterSequence;
  }

  wants(type: EventType): boolean {
    if (this.options.types && !this.options.types.has(type)) return false;
    return !this.options.exclude.has(type);
  }

  /**
   * Holds live events while replaying. Deltas are not held: the reply so far is sent as one delta
   * at the hand-over. False when the held bytes pass `maxBytes` (the subscriber must be dropped).
   */
  hold(frames: Frame[], maxBytes: number): boolean {
    for (const frame of frames) {
      if (frame.envelope.type === "message.delta") continue;
      this.#held.push(frame);
      this.#heldBytes += frame.bytes.byteLength;
    }
    return this.#heldBytes <= maxBytes;
  }

  takeHeld(): Frame[] {
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    return held;
  }

  /** Resolves once the client has read enough for the queue to take more (or the stream ended). */
  writable(): Promise<void> {
    if (this.#released || (this.controller.desiredSize ?? 1) > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  /** Called by the stream's pull (the client read) and on removal. */
  wake(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Frees what the subscriber holds; its timers stop and a waiting replay ends. */
  release(): void {
    this.#released = true;
    if (this.cycleTimer !== undefined) clearTimeout(this.cycleTimer);
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.cycleTimer = undefined;
    this.drainTimer = undefined;
    this.#held = [];
    this.#heldBytes = 0;
    this.wake();
  }
}
