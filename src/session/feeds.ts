import { concatBytes } from "../lib/bytes";
import { eventFrame } from "../lib/sse";
import type { EventEnvelope, EventFilter } from "./events";
import { STREAM } from "./rpc";
import type { SubscriberState } from "./subscriber-state";

/** One event of a broadcast, encoded once: JSON always, SSE text on first use. */
export interface Encoded {
  envelope: EventEnvelope;
  index: number;
  json: string;
  sse: string;
}

/** A feed's share of one broadcast: its carrier (or a live relay that can become it) and what each filter key wants. */
interface Share {
  carrier: WebSocket | null;
  candidate: { ws: WebSocket; state: SubscriberState } | null;
  wanted: Map<string, number[]>;
}

const encoder = new TextEncoder();

/**
 * The shared feeds of the Worker's SSE relays (`STREAM.feed` in rpc.ts): the relays of one
 * Worker isolate name one feed, and a live event goes once per feed, on one of its relay sockets
 * (the carrier), with what each filter key of the feed wants; the Worker hands each relay its
 * events. Frame numbers live in memory with an epoch of this object instance: a restarted object
 * starts a new epoch, which the Worker takes as a fresh count (nothing is in flight across a
 * restart: the object sleeps only when idle, and a crash closes the sockets).
 */
export class Feeds {
  readonly #epoch = crypto.randomUUID().slice(0, 8);
  /** The number of each feed's last frame. */
  readonly #numbers = new Map<string, number>();
  readonly #keys = new WeakMap<EventFilter, string>();
  #shares = new Map<string, Share>();

  /** A relay's filter key: relays of a feed with the same filters share their events' selection. */
  keyOf(filter: EventFilter): string {
    let key = this.#keys.get(filter);
    if (key === undefined) {
      key = JSON.stringify([filter.types ?? null, filter.exclude]);
      this.#keys.set(filter, key);
    }
    return key;
  }

  /** The first line of a relay's `joined` page: the frames of its feed numbered above `n` are its. */
  joinedLine(feed: string, filter: EventFilter): string {
    return `${JSON.stringify({ e: this.#epoch, n: this.#numbers.get(feed) ?? 0, k: this.keyOf(filter) })}\n`;
  }

  /** A live relay of `feed` in this broadcast, with the events (indexes) it wants. */
  add(feed: string, ws: WebSocket, state: SubscriberState, wanted: readonly Encoded[]): void {
    let share = this.#shares.get(feed);
    if (!share) {
      share = { carrier: null, candidate: null, wanted: new Map() };
      this.#shares.set(feed, share);
    }
    if (state.carrier && !share.carrier) share.carrier = ws;
    share.candidate ??= { ws, state };
    if (wanted.length > 0) {
      const key = this.keyOf(state.filter);
      if (!share.wanted.has(key))
        share.wanted.set(
          key,
          wanted.map((e) => e.index),
        );
    }
  }

  /**
   * Sends each feed's frame of this broadcast on its carrier; a feed whose carrier left gets a new
   * one (`promote` marks it in its attachment). Only feeds with an event someone wants get a frame.
   */
  flush(
    encoded: Encoded[],
    send: (ws: WebSocket, frame: Uint8Array) => void,
    promote: (ws: WebSocket, state: SubscriberState) => void,
  ): void {
    const shares = this.#shares;
    this.#shares = new Map();
    for (const [feed, share] of shares) {
      if (share.wanted.size === 0) continue;
      let carrier = share.carrier;
      if (!carrier && share.candidate) {
        promote(share.candidate.ws, share.candidate.state);
        carrier = share.candidate.ws;
      }
      if (!carrier) continue;
      const n = (this.#numbers.get(feed) ?? 0) + 1;
      this.#numbers.set(feed, n);
      send(carrier, this.#frame(n, encoded, share.wanted));
    }
  }

  #frame(n: number, encoded: Encoded[], wanted: Map<string, number[]>): Uint8Array {
    const used = new Set([...wanted.values()].flat());
    const bodies = encoded.map((e) => {
      if (!used.has(e.index)) return new Uint8Array(0);
      e.sse ||= eventFrame(e.envelope, e.json);
      return encoder.encode(e.sse);
    });
    const header = encoder.encode(
      `${JSON.stringify({ e: this.#epoch, n, l: bodies.map((b) => b.length), g: Object.fromEntries(wanted) })}\n`,
    );
    return concatBytes([Uint8Array.of(STREAM.feed), header, ...bodies]);
  }
}
