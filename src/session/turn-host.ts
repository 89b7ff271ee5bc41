import type { ActiveTurn, ActiveTurns } from "./active-turns";
import type { InputQueue } from "./input-queue";
import type { RunningTurn } from "./running-turn";
import type { Ending } from "./turn-outcome";
import type { TurnSources } from "./turn-setup";

/** What the turns of a session work with: its storage, the control plane, and two callbacks to the object. */
export interface TurnHost extends TurnSources {
  /** The running-turn row. */
  active: ActiveTurns;
  queue: InputQueue;
  /** The session went idle or its turn parked: bring the D1 index in step (off the path clients wait on), then reset the alarm. */
  settled(): void;
  /** A turn started or ended: the object's alarm (the watchdog) must be set or cleared. */
  rearm(): void;
}

/** A turn of this instance: working (its work in memory) or parked (waiting for the client, nothing in memory but this). */
export interface Running {
  active: ActiveTurn;
  turn: RunningTurn;
  parked: boolean;
  /** Set when writing the turn's end failed: the watchdog writes this outcome again. */
  unwritten?: Ending;
}
