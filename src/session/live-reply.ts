import { type EventEnvelope, TERMINAL_TYPES, wants } from "./events";
import type { ReplaySource, SubscriberState } from "./subscriber-state";

/**
 * The reply that is streaming now, as the fan-out actually sent it: its last delta. A subscriber
 * that goes live mid-reply gets the reply so far as one delta, and the live deltas after it
 * continue it exactly (none is counted twice).
 */
export class LiveReply {
  /** The last delta sent of the reply that is streaming now (null between replies). */
  #last: EventEnvelope | null = null;

  /** Follows what is broadcast: a delta is the reply so far; a terminal event or the reply's stored message ends it. */
  track(envelope: EventEnvelope): void {
    if (envelope.type === "message.delta") {
      this.#last = envelope;
    } else if (TERMINAL_TYPES.has(envelope.type)) {
      this.#last = null;
    } else if (envelope.type === "message.created" && this.#last) {
      const message = envelope.data["message"] as { id?: unknown } | undefined;
      if (message?.id === this.#last.data["message_id"]) this.#last = null;
    }
  }

  /** The reply so far as one delta at the subscriber's position, if one is streaming and it wants deltas. */
  snapshot(state: SubscriberState, source: ReplaySource): EventEnvelope | null {
    const last = this.#last;
    if (!last || !wants(state.filter, last)) return null;
    const accumulated = last.data["accumulated"];
    return {
      ...last,
      id: source.deltaId(),
      ts: new Date().toISOString(),
      sequence: state.cursor,
      data: { message_id: last.data["message_id"], delta: accumulated, accumulated },
    };
  }
}
