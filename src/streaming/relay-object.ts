import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { streamSettings } from "../lib/stream-settings";
import { SharedFeed } from "./shared-feed";
import { relaySse } from "./sse-relay";

/**
 * The SSE relay of one session in one location (`SSE_RELAYS`, named `<session id>/<colo>`): it
 * terminates that location's SSE streams of the session. Each stream keeps its own subscriber
 * socket to the session object (its filters, replay, caps, credential checks and endings, as for
 * any subscriber), and all of them share one feed of live events, which the session object sends
 * once per relay object. A Durable Object, because its requests may share I/O: one request's
 * socket feeds every request's stream, which a Worker isolate's requests may not do.
 *
 * `fetch` takes the subscription (subscription.ts, without the upgrade) and answers the SSE body,
 * or the session object's refusal as it came.
 */
export class SseRelayObject extends DurableObject<Env> {
  /** The session's feed here; it lives as long as the object. */
  #feed: SharedFeed | null = null;

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    this.#feed ??= new SharedFeed();
    url.searchParams.set("feed", this.#feed.id);
    const sessions = this.env.SESSIONS;
    const session = sessions.get(sessions.idFromName(url.searchParams.get("session_id") ?? ""));
    const res = await session.fetch(new Request(url, { headers: { upgrade: "websocket" } }));
    if (res.status !== 101 || !res.webSocket) return res;
    const expiresAt = url.searchParams.get("expires_at");
    const live = { feed: this.#feed, expiresAt: expiresAt ? Number(expiresAt) : null };
    return new Response(relaySse(res.webSocket, streamSettings(this.env), live));
  }
}
