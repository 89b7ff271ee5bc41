import { eq } from "drizzle-orm";
import { newId } from "../lib/ids";
import type { LlmUsage } from "../llm/types";
import type { SessionDb } from "./db/client";
import { activeTurn } from "./db/schema";

/** The running turn as stored: what an object restarted mid-turn finds (and ends as `interrupted`, unless it is parked). */
export type ActiveTurn = typeof activeTurn.$inferSelect;

/** A turn's model calls so far, and their usage. */
export interface TurnProgress {
  iterations: number;
  usage: LlmUsage;
}

/** A new turn for a queued input, not yet recorded: nothing spent, no wait. */
export function newActiveTurn(input: { messageId: string; modelId: string | null }, startedAt: number): ActiveTurn {
  return {
    turnId: newId("turn"),
    inputMessageId: input.messageId,
    modelId: input.modelId,
    startedAt,
    iterations: 0,
    inputTokens: 0,
    outputTokens: 0,
    waitingSince: null,
    waitedMs: 0,
  };
}

/** How long the turn has waited for its client, the wait in progress (if any) included: that time does not count toward its deadline. */
export function waitedMs(turn: Pick<ActiveTurn, "waitedMs" | "waitingSince">, now: number): number {
  return turn.waitedMs + (turn.waitingSince !== null ? now - turn.waitingSince : 0);
}

/**
 * The `active_turn` table: the session's running turn (at most one row), written only here. It
 * holds what must outlive the object's memory: which turn runs, its progress when it parks, and
 * its waits for the client. Every write runs inside the caller's transaction when there is one
 * (the turn's `turn.started`, its `tool.call` events, its terminal event).
 */
export class ActiveTurns {
  readonly #db: SessionDb;

  constructor(db: SessionDb) {
    this.#db = db;
  }

  /** The turn recorded as running (working or parked), or null. */
  current(): ActiveTurn | null {
    return this.#db.select().from(activeTurn).limit(1).get() ?? null;
  }

  /** Records a turn that starts (in the transaction of its `turn.started`). */
  record(turn: ActiveTurn): void {
    this.#db.insert(activeTurn).values(turn).run();
  }

  /** The recorded turn's progress: none when no turn is recorded. */
  progress(): TurnProgress {
    const stored = this.current();
    return {
      iterations: stored?.iterations ?? 0,
      usage: { inputTokens: stored?.inputTokens ?? 0, outputTokens: stored?.outputTokens ?? 0 },
    };
  }

  /** Stores the progress of a turn that parks, so it goes on from there in any instance. */
  saveProgress(turnId: string, progress: TurnProgress): void {
    this.#db
      .update(activeTurn)
      .set({ iterations: progress.iterations, inputTokens: progress.usage.inputTokens, outputTokens: progress.usage.outputTokens })
      .where(eq(activeTurn.turnId, turnId))
      .run();
  }

  /** The turn starts waiting for its client's tool results (in the transaction of the calls' `tool.call` events). */
  startWaiting(turnId: string, now = Date.now()): void {
    this.#db.update(activeTurn).set({ waitingSince: now }).where(eq(activeTurn.turnId, turnId)).run();
  }

  /**
   * Ends the recorded turn's wait for its client, if one is counted: the wait is added to
   * `waitedMs`. Returns the turn as it now stands (null when none is recorded).
   */
  stopWaiting(now = Date.now()): ActiveTurn | null {
    const stored = this.current();
    if (!stored || stored.waitingSince === null) return stored;
    const ended = { waitingSince: null, waitedMs: waitedMs(stored, now) };
    this.#db.update(activeTurn).set(ended).where(eq(activeTurn.turnId, stored.turnId)).run();
    return { ...stored, ...ended };
  }

  /** Forgets the turn (in the transaction of its terminal event). */
  end(): void {
    this.#db.delete(activeTurn).run();
  }
}
