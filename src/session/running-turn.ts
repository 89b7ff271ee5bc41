import { TurnAbort, type AbortReason } from "./turn-runner";

/**
 * A turn running in this instance of the session object: how to abort it, and a promise that
 * settles once its end is written (or skipped). Cancel and delete wait on `ended`, not on the turn's
 * work, because work that ignores its signal may never return; the turn is ended without it.
 */
export class RunningTurn {
  readonly abort = new AbortController();
  /** Set once the terminal event is being written: a cancel after this is a no-op. */
  finishing = false;
  /** When the abort was sent (ms since the epoch), or null while the turn runs normally. */
  abortedAt: number | null = null;
  /** Since when the turn waits for client-side tool results (ms since the epoch), or null. */
  waitingSince: number | null = null;
  /** Time spent waiting for the client so far: it does not count toward the turn's deadline. */
  waitedMs = 0;
  readonly ended: Promise<void>;
  #markEnded: () => void = () => undefined;

  constructor() {
    this.ended = new Promise((resolve) => {
      this.#markEnded = resolve;
    });
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** The reason of the first abort, if any. */
  get abortReason(): TurnAbort | null {
    const reason: unknown = this.abort.signal.reason;
    return reason instanceof TurnAbort ? reason : null;
  }

  /** Aborts the model call and tools; only the first reason counts. */
  abortFor(reason: AbortReason): void {
    if (this.abort.signal.aborted) return;
    this.abortedAt = Date.now();
    this.abort.abort(new TurnAbort(reason));
  }

  /** How long the turn has worked, its waits for the client left out. */
  workedMs(startedAt: number, now: number): number {
    return now - startedAt - this.waitedMs - (this.waitingSince === null ? 0 : now - this.waitingSince);
  }

  markEnded(): void {
    this.#markEnded();
  }

  /** True when the turn ended within `ms`. */
  async endsWithin(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([this.ended.then(() => true as const), timeout]);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}
