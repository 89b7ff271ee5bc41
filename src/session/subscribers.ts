import { createDb } from "../db/client";
import type { Env } from "../env";
import { streamSettings } from "../lib/stream-settings";
import type { SessionMeta } from "./events";
import { Fanout } from "./fanout";
import type { Opened } from "./open-session";
import { StreamAuth, streamAuthSettings } from "./stream-auth";
import { invalidCursor, NOT_FOUND, readSubscription, refuseSubscription, useSharedRelay } from "./subscription";

/**
 * The session's subscribers: who may subscribe (the session's org, a cursor it handed out, room
 * under the caps, a credential it still honours), the fan-out that serves them, and the sweep
 * that ends the streams of credentials that expired or lost access.
 */
export class Subscribers {
  readonly fanout: Fanout;
  readonly #ctx: DurableObjectState;
  readonly #env: Env;
  readonly #sharedRelayFrom: number;
  /** Created with the first subscriber's org (the session's): it checks the subscribers' credentials. */
  #auth: StreamAuth | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    const streams = streamSettings(env);
    this.fanout = new Fanout(ctx, {
      maxStreams: streams.maxStreams,
      maxPerCaller: streams.maxStreamsPerCaller,
      maxBufferedBytes: streams.maxBufferedBytes,
    });
    this.#ctx = ctx;
    this.#env = env;
    this.#sharedRelayFrom = streams.sharedRelayFrom;
  }

  /**
   * Admits a subscriber's upgrade request: the object accepts it as hibernatable, replays after
   * the cursor, then sends live events (101), or answers its refusal. The route has authenticated
   * the caller; `owned` is the open session if the caller's org owns it.
   */
  async admit(request: Request, owned: (meta: SessionMeta) => Opened | null): Promise<Response> {
    const subscription = readSubscription(request);
    const opened = owned(subscription.meta);
    if (!opened) return refuseSubscription(NOT_FOUND);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response(null, { status: 426 });
    if (opened.log.resolve(subscription.cursor) === null) return refuseSubscription(invalidCursor(subscription.cursor));
    // A session with many SSE streams serves a new one through its shared relay (one live send per relay object).
    if (subscription.mode === "relay" && !subscription.feed && this.#ctx.getWebSockets("relay").length >= this.#sharedRelayFrom)
      return useSharedRelay();
    const cap = await this.fanout.capReached(subscription.caller);
    if (cap) return refuseSubscription({ refused: "too_many_streams", cap });
    // Read again after the wait: the session may have been deleted, or the log moved on.
    const current = owned(subscription.meta);
    const after = current?.log.resolve(subscription.cursor) ?? null;
    if (!current || after === null) return refuseSubscription(NOT_FOUND);
    const { mode, caller, filter, protocol, credential, feed } = subscription;
    // The Worker authenticated the caller, possibly from its principal cache: the object asks D1
    // itself when it has not confirmed this credential within the check period.
    const alone = !this.fanout.subscribed;
    if (!(await this.#authOf(current.record.orgId).admit(credential, Date.now(), alone)))
      return refuseSubscription({ refused: "unauthorized" });
    if (!owned(subscription.meta)) return refuseSubscription(NOT_FOUND);
    const state = { mode, caller, filter, cursor: after, live: false, credential, ...(mode === "relay" && feed ? { feed } : {}) };
    return this.fanout.accept(current.log, state, protocol);
  }

  /** Ends the streams whose credential expired, was revoked or lost access to the org, when a sweep is due. */
  async sweep(opened: Opened | null): Promise<void> {
    if (!opened || !this.fanout.subscribed) return;
    const auth = this.#authOf(opened.record.orgId);
    const now = Date.now();
    if ((auth.nextSweep(now, true) ?? Number.POSITIVE_INFINITY) > now) return;
    this.fanout.endCredentials(await auth.sweep(this.fanout.credentials(), now));
  }

  /** When the next sweep is due (for the object's alarm), or null. */
  nextSweep(opened: Opened | null, now: number): number | null {
    return opened ? this.#authOf(opened.record.orgId).nextSweep(now, this.fanout.subscribed) : null;
  }

  /** The checker of the subscribers' credentials (the session's org is theirs). */
  #authOf(orgId: string): StreamAuth {
    this.#auth ??= new StreamAuth(createDb(this.#env.DB), orgId, streamAuthSettings(this.#env));
    return this.#auth;
  }
}
