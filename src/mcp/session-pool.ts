import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { endMcpSession, type McpCallOptions, type McpConnection, type McpTarget, openMcpSession, withinDeadline } from "./client";

/** A kept MCP session unused for this long is ended and the next operation opens a new one. */
export const MCP_SESSION_IDLE_MS = 5 * 60_000;
/** At most this many servers' sessions are kept per pool; the least recently used idle one goes first. */
const MAX_KEPT = 16;

interface Kept {
  /** What the session was opened for (the server's `updated_at` and URL): anything else opens a new one. */
  version: string;
  opening: Promise<McpConnection>;
  /** Whether the opening had succeeded when an operation took the session (only then can it be stale). */
  open: boolean;
  /** The operations using it now. */
  users: number;
  lastUsed: number;
  /** Out of the pool: ended once its last user is done. */
  retired: boolean;
  ended: boolean;
}

/** Whether a reused session's request was refused as a session the server no longer knows. */
function staleSession(err: unknown): boolean {
  // The protocol says 404; server-everything (and servers built like it) answers an unknown id with 400.
  return err instanceof StreamableHTTPError && (err.code === 404 || err.code === 400);
}

/** `promise`, or the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * One MCP session per server, kept across operations: the first operation pays `initialize` and
 * `notifications/initialized`, later ones only their own request. A session is ended in the
 * background (DELETE) when its server changes (`version`), after MCP_SESSION_IDLE_MS unused, when
 * the pool is full, or after any failed operation. A reused session the server refuses as unknown
 * (404, or 400) is replaced by a new one and the operation is sent once more: the server did not
 * run it. A server that gives no session id gets a session per operation, as it asks.
 */
export class McpSessionPool {
  readonly #kept = new Map<string, Kept>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** How many sessions are kept (for tests). */
  get size(): number {
    return this.#kept.size;
  }

  /**
   * Runs `work` on the server's session within `options.timeoutMs` (opening included). Failures
   * are thrown as McpFailure; the caller's abort rethrows the signal's reason.
   */
  async run<T>(
    serverId: string,
    version: string,
    target: McpTarget,
    options: McpCallOptions,
    work: (client: Client, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return withinDeadline(options, async (outer) => {
      // The SDK never removes its abort listener from a request's signal: on a kept session, a signal
      // that aborts after its request was answered would send the server a needless
      // notifications/cancelled. The SDK gets a signal that follows `outer` only while this runs.
      const scope = new AbortController();
      const follow = () => scope.abort(outer.reason);
      if (outer.aborted) follow();
      else outer.addEventListener("abort", follow, { once: true });
      try {
        return await this.#attempt(serverId, version, target, options, scope.signal, work, true);
      } finally {
        outer.removeEventListener("abort", follow);
      }
    });
  }

  async #attempt<T>(
    serverId: string,
    version: string,
    target: McpTarget,
    options: McpCallOptions,
    signal: AbortSignal,
    work: (client: Client, signal: AbortSignal) => Promise<T>,
    mayRetry: boolean,
  ): Promise<T> {
    this.#retireIdle();
    let kept = this.#kept.get(serverId);
    if (kept && kept.version !== version) {
      this.#retire(serverId, kept);
      kept = undefined;
    }
    const reused = kept?.open === true;
    if (!kept) {
      this.#makeRoom();
      const opening = openMcpSession(target, options, signal);
      const fresh: Kept = { version, opening, open: false, users: 0, lastUsed: this.#now(), retired: false, ended: false };
      opening.then(
        () => {
          fresh.open = true;
        },
        () => undefined, // observed below; a failed opening is not kept
      );
      kept = fresh;
      this.#kept.set(serverId, kept);
    }
    kept.users += 1;
    try {
      const connection = await untilAborted(kept.opening, signal);
      const result = await work(connection.client, signal);
      kept.lastUsed = this.#now();
      // A server without sessions answers each operation on its own: nothing to keep.
      if (connection.transport.sessionId === undefined) this.#retire(serverId, kept);
      return result;
    } catch (err) {
      this.#retire(serverId, kept);
      if (reused && mayRetry && staleSession(err) && !signal.aborted) {
        return this.#attempt(serverId, version, target, options, signal, work, false);
      }
      throw err;
    } finally {
      kept.users -= 1;
      this.#endIfUnused(kept);
    }
  }

  /** Takes a session out of the pool; it ends once no operation uses it. */
  #retire(serverId: string, kept: Kept): void {
    if (this.#kept.get(serverId) === kept) this.#kept.delete(serverId);
    kept.retired = true;
    this.#endIfUnused(kept);
  }

  #endIfUnused(kept: Kept): void {
    if (!kept.retired || kept.users > 0 || kept.ended) return;
    kept.ended = true;
    kept.opening.then(endMcpSession, () => undefined);
  }

  /** Retires the sessions unused for MCP_SESSION_IDLE_MS. */
  #retireIdle(): void {
    const now = this.#now();
    for (const [id, kept] of this.#kept) {
      if (kept.users === 0 && now - kept.lastUsed > MCP_SESSION_IDLE_MS) this.#retire(id, kept);
    }
  }

  /** Retires the least recently used idle sessions until one more fits under MAX_KEPT. */
  #makeRoom(): void {
    const idle = [...this.#kept].filter(([, k]) => k.users === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [id, kept] of idle.slice(0, Math.max(0, this.#kept.size + 1 - MAX_KEPT))) this.#retire(id, kept);
  }
}
