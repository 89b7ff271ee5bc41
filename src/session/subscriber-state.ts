import type { EventEnvelope, EventFilter } from "./events";
import type { SubscriberMode } from "./rpc";
import type { StreamCredential } from "./stream-credential";

/** Where replay reads stored events, and how a delta snapshot gets an id that resumes. */
export interface ReplaySource {
  readonly head: number;
  read(after: number, upTo: number, limit: number, maxBytes: number): EventEnvelope[];
  /** A new delta id at the current head (for the snapshot of the reply so far); it resumes after the head. */
  deltaId(): string;
}

export interface FanoutLimits {
  /** Subscribers per session (relays and client sockets together). */
  maxStreams: number;
  /** Subscribers per session of one user (all their keys and tokens together), so no caller can take every slot. */
  maxPerCaller: number;
  /**
   * A client socket with more than this still queued when the next message is due is let go
   * (relays handle their own clients); the fan-out raises it to `minBacklogLimit` at least.
   */
  maxBufferedBytes: number;
}

/** What a subscriber wants and where it is: its WebSocket attachment, so it survives hibernation. */
export interface SubscriberState {
  mode: SubscriberMode;
  caller: string;
  filter: EventFilter;
  /** The last stored sequence replayed to it. */
  cursor: number;
  /** Caught up: it gets every new event as it is stored. */
  live: boolean;
  /** The credential that opened it: the stream ends when it expires or loses access. */
  credential: StreamCredential;
  /** A relay's shared feed (null or absent: it gets its own live frames). */
  feed?: string | null;
  /** The relay of its feed that the object sends the feed's frames to. */
  carrier?: boolean;
}
