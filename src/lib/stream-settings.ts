import type { Env } from "../env";
import { envInt, positiveIntVar as intVar } from "./env-int";

/** The event streams' settings, read by the Worker that terminates SSE and by the session object. */
export interface StreamSettings {
  /** `: heartbeat` interval on an SSE stream. */
  heartbeatMs: number;
  /** An SSE connection is cycled after this long, ±20 % jitter. */
  cycleMs: number;
  /**
   * A subscriber whose unread backlog passes this many bytes is let go (it resumes from its last
   * id). For client WebSockets it is raised to twice the largest message (`MIN_BACKLOG_BYTES` in
   * the fan-out), for an SSE stream to twice the largest chunk it was sent (sse-relay.ts), so one
   * large event never closes a client that reads.
   */
  maxBufferedBytes: number;
  /** Subscribers (SSE and WebSocket) per session; beyond, 429 `too_many_streams`. */
  maxStreams: number;
  /** Subscribers per session of one user (all their keys and tokens together), so no caller can take every slot. */
  maxStreamsPerCaller: number;
  /**
   * From this many SSE streams on a session, a new one goes through the session's shared relay
   * object in its location (streaming/relay-object.ts), whose streams share one feed of live events.
   */
  sharedRelayFrom: number;
}

/** Heartbeat 15 s, cycle ~5 min, 1 MiB backlog, 1,000 subscribers per session and 100 per caller, a shared relay from 10 SSE streams. */
export function streamSettings(env: Env): StreamSettings {
  return {
    heartbeatMs: intVar(env.SSE_HEARTBEAT_MS, 15_000),
    cycleMs: intVar(env.SSE_CYCLE_MS, 300_000),
    maxBufferedBytes: intVar(env.SSE_MAX_BUFFERED_BYTES, 1024 * 1024),
    maxStreams: intVar(env.SSE_MAX_STREAMS_PER_SESSION, 1000),
    maxStreamsPerCaller: intVar(env.SSE_MAX_STREAMS_PER_CALLER, 100),
    sharedRelayFrom: envInt(env.SSE_SHARED_RELAY_FROM, 0) ?? 10,
  };
}
