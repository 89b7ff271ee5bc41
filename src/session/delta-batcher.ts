/**
 * Coalesces a reply's text deltas: the first goes out at once, later ones at most once per
 * interval. Every `message.delta` carries the whole reply so far (`accumulated`), so one event
 * per token would cost O(reply²) bytes per subscriber; batching makes it O(reply × flushes).
 */
export class DeltaBatcher {
  readonly #intervalMs: number;
  readonly #emit: (delta: string, accumulated: string) => void;
  #pending = "";
  #sent = "";
  #lastFlush = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(intervalMs: number, emit: (delta: string, accumulated: string) => void) {
    this.#intervalMs = intervalMs;
    this.#emit = emit;
  }

  /** Everything pushed so far, sent or not. */
  get text(): string {
    return this.#sent + this.#pending;
  }

  push(text: string): void {
    this.#pending += text;
    const wait = this.#lastFlush + this.#intervalMs - Date.now();
    if (wait <= 0) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), wait);
  }

  /** Sends what is pending now (before a non-delta event, or at the end of the reply). */
  flush(): void {
    this.stop();
    if (this.#pending.length === 0) return;
    const delta = this.#pending;
    this.#sent += delta;
    this.#pending = "";
    this.#lastFlush = Date.now();
    this.#emit(delta, this.#sent);
  }

  /** Drops the timer without sending (the reply was aborted). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
