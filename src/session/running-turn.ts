import { type AbortReason, TurnAbort } from "./turn-outcome";

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
