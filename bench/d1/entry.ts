/**
 * Bench only: the Worker entry of the "remote D1" scenario. It runs the app of the tree being
 * measured unchanged, with one difference: every D1 call, from the routes and from the Durable
 * Objects, goes through a meter that delays and counts it (./d1-meter.ts). The bench builds it
 * with `wrangler deploy --dry-run <this file>` against the tree's own wrangler.toml; src/ never
 * imports it, so the deployed bundle (built from src/index.ts) never contains it.
 *
 *   GET /__bench/d1?latency=25&reset=1  sets the delay per call (ms), reads and resets the calls
 *   GET /__bench/d1?latency=80&replica=5 the primary 80 ms away and a read replica 5 ms (`replica=`
 *                                       alone: replicas as far as the primary)
 *   POST /__bench/seed-events?session_id=…&total=10000&at=10&at=5000
 *                                       fills the session's log up to `total` events (./seed-events.ts)
 *                                       and answers the ids at the `at` sequences
 *   POST /__bench/seed-messages?session_id=…&total=2000
 *                                       adds a history of about `total` messages (./seed-messages.ts)
 *
 * Every Durable Object class the tree's wrangler.toml binds must be re-exported here (as a
 * subclass that wraps env): workerd refuses to start if one is missing, which is the check.
 */

import type { Env } from "../../src/env";
import * as App from "../../src/index";
import type { WebhookQueueMessage } from "../../src/webhooks/messages";
import { countingD1 } from "./counting-d1";
import { type CallSource, meter } from "./d1-meter";
import { seedEvents } from "./seed-events";
import { seedMessages } from "./seed-messages";

// One cache per side: workerd hands the Worker and its objects the same env object.
const wrapped: Record<CallSource, WeakMap<object, Env>> = { worker: new WeakMap(), object: new WeakMap() };

/** The env the app sees: the same bindings, with DB metered. Made once per env object and side. */
function wrapEnv(env: Env, source: CallSource): Env {
  const known = wrapped[source].get(env);
  if (known) return known;
  const db = countingD1(env.DB, source);
  const proxy = new Proxy(env, { get: (target, key) => (key === "DB" ? db : Reflect.get(target, key)) });
  wrapped[source].set(env, proxy);
  return proxy;
}

function benchRoute(url: URL): Response {
  const latency = url.searchParams.get("latency");
  if (latency !== null) meter.latencyMs = Math.max(0, Number(latency) || 0);
  const replica = url.searchParams.get("replica");
  if (replica !== null) meter.replicaMs = replica === "" ? null : Math.max(0, Number(replica) || 0);
  return Response.json(meter.read(url.searchParams.has("reset")));
}

async function seedRoute(url: URL, env: Env): Promise<Response> {
  const sessionId = url.searchParams.get("session_id") ?? "";
  const namespace = env.SESSIONS as unknown as DurableObjectNamespace<SessionObject>;
  const stub = namespace.get(namespace.idFromName(sessionId));
  const ids = await stub.benchSeedEvents(Number(url.searchParams.get("total")), url.searchParams.getAll("at").map(Number));
  return Response.json(ids);
}

async function seedMessagesRoute(url: URL, env: Env): Promise<Response> {
  const sessionId = url.searchParams.get("session_id") ?? "";
  const namespace = env.SESSIONS as unknown as DurableObjectNamespace<SessionObject>;
  const written = await namespace.get(namespace.idFromName(sessionId)).benchSeedMessages(sessionId, Number(url.searchParams.get("total")));
  return Response.json({ written });
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/__bench/d1") return benchRoute(url);
    if (url.pathname === "/__bench/seed-events" && request.method === "POST") return seedRoute(url, env);
    if (url.pathname === "/__bench/seed-messages" && request.method === "POST") return seedMessagesRoute(url, env);
    return App.default.fetch(request, wrapEnv(env, "worker"), ctx);
  },
  // The webhook queue's consumer (wrangler.toml [[queues.consumers]]): its D1 calls count as the Worker's.
  queue(batch: MessageBatch<WebhookQueueMessage>, env: Env): Promise<void> {
    return App.default.queue(batch, wrapEnv(env, "worker"));
  },
} satisfies ExportedHandler<Env, WebhookQueueMessage>;

export class SessionObject extends App.SessionObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, wrapEnv(env, "object"));
  }

  /** Bench only: see ./seed-events.ts. The bench restarts the object afterwards, so it reads its new head. */
  async benchSeedEvents(total: number, sequences: number[]): Promise<Record<string, string>> {
    return seedEvents(this.ctx.storage.sql, total, sequences);
  }

  /** Bench only: see ./seed-messages.ts. The bench restarts the object afterwards, so it reads its new head. */
  async benchSeedMessages(sessionId: string, total: number): Promise<number> {
    return seedMessages(this.ctx.storage, sessionId, total);
  }
}

export class RateLimiter extends App.RateLimiter {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, wrapEnv(env, "object"));
  }
}

/**
 * The SSE relay object makes no D1 call: re-exported as it is. A tree older than it binds none, and
 * gets an empty class under the name (unbound, so unused).
 */
export const SseRelayObject = (App as { SseRelayObject?: unknown }).SseRelayObject ?? class {};
