import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { OrgEnv } from "../env";
import { createRouter } from "../lib/create-router";
import { ApiError } from "../lib/errors";
import { streamSettings } from "../lib/stream-settings";
import { traits } from "../middleware/traits";
import { errorResponses, idParam } from "../schemas/common";
import { EventSchema, EventsQuery, type EventsQueryValue, LastEventIdHeader } from "../schemas/events";
import { sessionClient } from "../services/session-client";
import type { Cursor, SubscriberMode } from "../session/rpc";
import { relaySse } from "../streaming/sse-relay";

const tags = ["Events"];
const SessionParams = z.object({ session_id: idParam("session", "session_id") });
const sseContent = {
  "text/event-stream": {
    schema: z
      .string()
      .openapi({ description: "SSE frames: retry, then id/event/data per event, `: heartbeat` comments, `disconnecting` before a cycle" }),
  },
};

const eventsRoute = createRoute({
  method: "get",
  path: "/v1/sessions/{session_id}/events",
  middleware: traits({ access: "org" }),
  operationId: "listOrStreamEvents",
  tags,
  summary: "Stream the session's events (SSE), or list them as JSON for a JSON client",
  description:
    "The JSON list `{data: [Event]}` when `Accept` prefers `application/json`, " +
    "or when the request sends `Content-Type: application/json` " +
    "and its `Accept` does not name `text/event-stream` (the official SDKs do this); otherwise the SSE stream (`curl -N`, EventSource). " +
    "Both take the same cursors: `Last-Event-ID`, `since_id` (any id the server handed out) or `after_sequence`.",
  request: { params: SessionParams, query: EventsQuery, headers: LastEventIdHeader },
  responses: {
    200: {
      description: "SSE stream, or `{data: [Event]}` (stored events; deltas are never listed)",
      content: { ...sseContent, "application/json": { schema: z.object({ data: z.array(EventSchema) }) } },
    },
    ...errorResponses(400, 401, 404, 429),
  },
});

const sseRoute = createRoute({
  method: "get",
  path: "/v1/sessions/{session_id}/sse",
  middleware: traits({ access: "org" }),
  operationId: "streamEvents",
  tags,
  summary: "Stream the session's events (always SSE)",
  request: { params: SessionParams, query: EventsQuery, headers: LastEventIdHeader },
  responses: { 200: { description: "SSE stream", content: sseContent }, ...errorResponses(400, 401, 404, 429) },
});

const wsRoute = createRoute({
  method: "get",
  path: "/v1/sessions/{session_id}/ws",
  middleware: traits({ access: "org", socketCredentials: true }),
  operationId: "streamEventsOverWebSocket",
  tags,
  summary: "The session's events over a WebSocket (upgrade)",
  description:
    "Send `Upgrade: websocket`. Each event envelope arrives as one JSON text frame (the same JSON as an SSE `data:`), " +
    "replay after `since_id` first, then live. Authenticate like any route; a browser, which cannot set headers on a " +
    "WebSocket, may offer the subprotocols `everruns.v1` and `bearer.<API key or access token>` (answered with " +
    "`everruns.v1`), or pass `?access_token=`; it chooses the org with `X-Org-Id`, the subprotocol `org.<org id>` or `?org_id=` " +
    "(only this route reads a credential or an org from the query or the subprotocols). The server closes with 4401 when the " +
    "credential that opened the socket expires, is revoked or loses access to the org (authenticate again, then resume). Send the text `ping` to get `pong` without waking the session. " +
    "The server closes with 4404 when the session is deleted and 4008 when the client fell too far behind (resume " +
    "with `since_id`). Errors before the upgrade are problem+json.",
  request: { params: SessionParams, query: EventsQuery },
  responses: {
    101: { description: "Switching Protocols: the WebSocket is open" },
    ...errorResponses(400, 401, 404, 426, 429),
  },
});

/**
 * Quality of a media type in an Accept header (RFC 9110 §12.5.1): the most specific matching
 * range wins (`type/sub` over `type/*` over `*\/*`); 0 when nothing matches.
 */
function quality(accept: string, type: string): number {
  const [major] = type.split("/");
  let best = { specificity: -1, q: 0 };
  for (const part of accept.split(",")) {
    const [range = "", ...params] = part.split(";").map((p) => p.trim().toLowerCase());
    const specificity = range === type ? 2 : range === `${major}/*` ? 1 : range === "*/*" ? 0 : -1;
    if (specificity < 0 || specificity < best.specificity) continue;
    const qParam = params.find((p) => p.startsWith("q="));
    const parsed = qParam === undefined ? 1 : Number(qParam.slice(2));
    const q = Number.isFinite(parsed) ? Math.min(1, Math.max(0, parsed)) : 0;
    best = specificity > best.specificity ? { specificity, q } : { specificity, q: Math.max(best.q, q) };
  }
  return best.q;
}

/**
 * Whether `GET …/events` answers with the JSON list rather than the stream. A client that prefers
 * JSON in Accept gets it; so does one that declares itself a JSON client with
 * `Content-Type: application/json` and an Accept that does not name `text/event-stream` (the
 * official SDKs send exactly that, with Accept `*\/*`). `curl -N`, EventSource and
 * `Accept: text/event-stream` get the stream, and so does a tie.
 */
function wantsJsonList(accept: string | undefined, contentType: string | undefined): boolean {
  if (accept && quality(accept, "application/json") > quality(accept, "text/event-stream")) return true;
  const jsonClient = /^application\/json\b/i.test(contentType?.trim() ?? "");
  return jsonClient && !/text\/event-stream/i.test(accept ?? "");
}

/**
 * The resume cursor: Last-Event-ID wins over the query (it is the newer one, sent by a
 * reconnecting EventSource whose URL still carries the first cursor), then since_id or after_sequence.
 */
function cursorOf(query: EventsQueryValue, lastEventId: string | undefined): Cursor | null {
  if (lastEventId !== undefined) return { id: lastEventId, path: "header.last-event-id" };
  if (query.since_id !== undefined) return { id: query.since_id, path: "query.since_id" };
  if (query.after_sequence !== undefined) return { sequence: query.after_sequence, path: "query.after_sequence" };
  return null;
}

/** A subscriber socket from the session's object (`mode`: the Worker's SSE relay, or the client's own WebSocket). */
function subscribe(
  c: Context<OrgEnv, string, object>,
  sessionId: string,
  query: EventsQueryValue,
  lastEventId: string | undefined,
  mode: SubscriberMode,
) {
  return sessionClient(c, sessionId).subscribe({
    mode,
    cursor: cursorOf(query, lastEventId),
    types: query.types,
    exclude: query.exclude,
    protocols: c.req.header("sec-websocket-protocol"),
  });
}

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
  vary: "Accept",
};

/** Where the request reached Cloudflare: the session's SSE streams of one location share a relay object. */
function relayLocation(request: Request): string {
  const colo = (request as { cf?: { colo?: unknown } }).cf?.colo;
  return typeof colo === "string" && colo !== "" ? colo : "local";
}

/**
 * The SSE stream: the Worker terminates it, relaying from its own WebSocket to the session object;
 * once the session has many SSE streams (`SSE_SHARED_RELAY_FROM`), the session's shared relay
 * object in this location terminates it (streaming/relay-object.ts) and the Worker passes its body on.
 * A HEAD opens nothing (no subscriber, no slot): it is answered with the stream's headers, or the
 * error the stream would get for a session the caller cannot read.
 */
async function openStream(
  c: Context<OrgEnv, string, object>,
  sessionId: string,
  query: EventsQueryValue,
  lastEventId: string | undefined,
): Promise<Response> {
  if (c.req.method === "HEAD") {
    await sessionClient(c, sessionId).view();
    return new Response(null, { headers: SSE_HEADERS });
  }
  const client = sessionClient(c, sessionId);
  const wanted = { cursor: cursorOf(query, lastEventId), types: query.types, exclude: query.exclude };
  const socket = await client.subscribeSse(wanted);
  if (socket) return new Response(relaySse(socket, streamSettings(c.env)), { headers: SSE_HEADERS });
  // The session has many SSE streams: this one goes through its shared relay here.
  return new Response(await client.openSse(wanted, relayLocation(c.req.raw)), { headers: SSE_HEADERS });
}

export const eventsRouter = createRouter()
  .openapi(eventsRoute, async (c) => {
    const { session_id } = c.req.valid("param");
    const query = c.req.valid("query");
    const lastEventId = c.req.valid("header")["last-event-id"];
    if (!wantsJsonList(c.req.header("accept"), c.req.header("content-type"))) return openStream(c, session_id, query, lastEventId);
    const data = await sessionClient(c, session_id).listEvents({
      cursor: cursorOf(query, lastEventId),
      beforeSequence: query.before_sequence,
      turnId: query.turn_id,
      newestFirst: query.order_desc,
      limit: query.limit,
      types: query.types,
      exclude: query.exclude,
    });
    c.header("vary", "Accept");
    return c.json({ data }, 200);
  })
  .openapi(sseRoute, async (c) => {
    const { session_id } = c.req.valid("param");
    return openStream(c, session_id, c.req.valid("query"), c.req.valid("header")["last-event-id"]);
  })
  .openapi(wsRoute, async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw new ApiError("upgrade_required");
    const { session_id } = c.req.valid("param");
    // The object answers 101 with the client's end of the socket: from then on the client talks to it directly.
    return (await subscribe(c, session_id, c.req.valid("query"), undefined, "client")) as never;
  });
