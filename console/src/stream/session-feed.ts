import type { ApiClient } from "../api/client";
import { ApiProblem, toProblem } from "../api/problem";
import type { EventEnvelope } from "../api/types";
import { applyDelta, applyStored, EMPTY_LOG, lastEventId, markLive, type SessionLog, STORED_TYPES } from "../chat/session-log";
import { keepLog, keptLog } from "./kept-log";
import { readEventStream } from "./sse-reader";

export type FeedStatus = "connecting" | "live" | "reconnecting" | "stopped";

export interface FeedListener {
  log(log: SessionLog): void;
  status(status: FeedStatus, problem: ApiProblem | null): void;
}

/** The JSON list's largest page (src/schemas/events.ts): a shorter page is the last one. */
const PAGE = 1000;
/** Three missed heartbeats (15 s each) mean the connection is gone. */
const IDLE_MS = 45_000;
const MAX_BACKOFF_MS = 15_000;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      globalThis.window?.removeEventListener("online", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    // Back online: try at once instead of waiting out the backoff.
    globalThis.window?.addEventListener("online", done, { once: true });
    signal.addEventListener("abort", done, { once: true });
  });

/**
 * Keeps one session's log up to date, across reloads and dropped connections: it catches up with
 * the JSON list after the last stored event it has (`since_id`), then streams from there
 * (`Last-Event-ID`), and on any drop does both again after a backoff. The log (stored events and
 * first-token times) is kept in sessionStorage, so a reload resumes from its last event too.
 * Duplicates cannot appear: stored events are taken once by sequence, replies are drawn from
 * `accumulated`.
 */
/** What the feed needs of the API client (tests give it a fake). */
export type FeedApi = Pick<ApiClient, "fetch">;

export class SessionFeed {
  readonly #api: FeedApi;
  readonly #sessionId: string;
  readonly #listener: FeedListener;
  readonly #abort = new AbortController();
  #log: SessionLog;
  #saveTimer = 0;

  constructor(api: FeedApi, sessionId: string, listener: FeedListener) {
    this.#api = api;
    this.#sessionId = sessionId;
    this.#listener = listener;
    this.#log = keptLog(sessionId) ?? EMPTY_LOG;
  }

  get log(): SessionLog {
    return this.#log;
  }

  start(): void {
    this.#listener.log(this.#log);
    void this.#run();
  }

  /**
   * Stops streaming. What is not kept yet is dropped, not written: sign-out removes everything
   * kept before the page lets go of its feed, and a reload catches up from the API anyway.
   */
  stop(): void {
    this.#abort.abort();
    clearTimeout(this.#saveTimer);
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let failures = 0;
    let delay = 0;
    let lastProblem: ApiProblem | null = null;
    while (!signal.aborted) {
      if (delay > 0) await sleep(delay, signal);
      if (signal.aborted) return;
      this.#listener.status(failures === 0 ? "connecting" : "reconnecting", lastProblem);
      try {
        await this.#catchUp(signal);
        await this.#stream(signal);
        failures = 0;
        lastProblem = null;
        delay = 250; // the server closed the stream on purpose (connection cycle): come back soon
      } catch (err) {
        if (signal.aborted) return;
        const problem = toProblem(err);
        if (problem.code === "invalid_cursor") {
          // The kept log does not belong to this session's history any more: start over.
          this.#update(EMPTY_LOG);
          delay = 0;
          continue;
        }
        if (problem.status === 401 || problem.status === 403 || problem.status === 404) {
          this.#listener.status("stopped", problem);
          return;
        }
        failures += 1;
        lastProblem = problem;
        delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures, 5));
        this.#listener.status("reconnecting", problem);
      }
    }
  }

  /** Stored events after the last one we have, page by page, from the JSON list. */
  async #catchUp(signal: AbortSignal): Promise<void> {
    let after = lastEventId(this.#log);
    for (;;) {
      const params = new URLSearchParams({ limit: String(PAGE) });
      if (after) params.set("since_id", after);
      const res = await this.#api.fetch(`/v1/sessions/${this.#sessionId}/events?${params}`, {
        headers: { accept: "application/json" },
        signal,
      });
      const page = ((await res.json()) as { data: EventEnvelope[] }).data;
      this.#update(applyStored(this.#log, page));
      if (page.length < PAGE) return;
      // Page on from the page's own last event: it may be of a type the log does not keep.
      after = page.at(-1)?.id ?? after;
    }
  }

  async #stream(signal: AbortSignal): Promise<void> {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    const after = lastEventId(this.#log);
    if (after) headers["last-event-id"] = after;
    const res = await this.#api.fetch(`/v1/sessions/${this.#sessionId}/sse`, { headers, signal, cache: "no-store" });
    if (!res.body)
      throw new ApiProblem({
        status: 0,
        code: "no_stream",
        detail: "The event stream has no body",
        requestId: res.headers.get("x-request-id"),
      });
    this.#update(markLive(this.#log));
    this.#listener.status("live", null);
    await readEventStream(res.body, (message) => this.#onMessage(message.event, message.data), IDLE_MS);
  }

  /** Known events change the log; `connected`, `disconnecting` and names added later are ignored. */
  #onMessage(name: string | undefined, data: string): void {
    if (name !== "message.delta" && !STORED_TYPES.has(name ?? "")) return;
    let envelope: EventEnvelope;
    try {
      envelope = JSON.parse(data) as EventEnvelope;
    } catch {
      return;
    }
    this.#update(name === "message.delta" ? applyDelta(this.#log, envelope) : applyStored(this.#log, [envelope]));
  }

  #update(log: SessionLog): void {
    if (log === this.#log) return;
    const storedChanged = log.lastSequence !== this.#log.lastSequence || log.firstTokenAt !== this.#log.firstTokenAt;
    this.#log = log;
    this.#listener.log(log);
    if (storedChanged) {
      clearTimeout(this.#saveTimer);
      this.#saveTimer = setTimeout(() => keepLog(this.#sessionId, this.#log), 200);
    }
  }
}
