import type { Env } from "../env";
import { envInt } from "../lib/env-int";
import type { StreamTiming } from "./fanout";

/** A positive whole-number var, or the default when it is unset or invalid. */
function intVar(value: string | undefined, fallback: number): number {
  return envInt(value, 1) ?? fallback;
}

/** Stream settings: heartbeat 15 s, connection cycle ~5 min, 1 MiB backlog, 20 streams per session. */
export function streamTiming(env: Env): StreamTiming {
  return {
    heartbeatMs: intVar(env.SSE_HEARTBEAT_MS, 15_000),
    cycleMs: intVar(env.SSE_CYCLE_MS, 300_000),
    maxBufferedBytes: intVar(env.SSE_MAX_BUFFERED_BYTES, 1024 * 1024),
    maxStreams: intVar(env.SSE_MAX_STREAMS_PER_SESSION, 20),
  };
}

export interface TurnSettings {
  maxIterations: number;
  /** At most one `message.delta` per this many milliseconds (deltas in between are joined). */
  deltaBatchMs: number;
  /** A turn running longer than this is ended by the watchdog with `turn_timeout`. */
  deadlineMs: number;
  /** How often the watchdog alarm checks a running turn. */
  watchdogMs: number;
}

export function turnSettings(env: Env): TurnSettings {
  return {
    maxIterations: intVar(env.TURN_MAX_ITERATIONS, 25),
    deltaBatchMs: intVar(env.TURN_DELTA_BATCH_MS, 100),
    deadlineMs: intVar(env.TURN_DEADLINE_MS, 10 * 60_000),
    watchdogMs: intVar(env.TURN_WATCHDOG_MS, 30_000),
  };
}
