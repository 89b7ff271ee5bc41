import { z } from "@hono/zod-openapi";
import { EVENT_TYPES, matcherFor } from "../session/rpc";
import { clampedLimit, idString, wholeNumberQuery } from "./common";

/** The JSON list pages by cursor (`since_id`, `before_sequence`), at most this many events a page. */
const MAX_EVENTS_PAGE = 1000;

export const EventSchema = z
  .object({
    id: z.string().openapi({ example: "event_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    type: z.enum(EVENT_TYPES),
    ts: z.string(),
    session_id: z.string(),
    sequence: z.number().int().openapi({ description: "1, 2, 3, … per session, no gaps" }),
    context: z.object({ turn_id: z.string().nullable(), input_message_id: z.string().nullable() }),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi("Event");

/**
 * A repeatable (or comma-separated) list of event types: ours, or the upstream Everruns names the
 * official SDKs send (aliases; upstream names this API never emits match nothing). A name nobody
 * knows is a 400 naming it.
 */
const TypeList = z
  .union([z.string(), z.array(z.string())])
  // Deduplicated, so the list bound into the SQL filter is at most the number of event types.
  .transform((v) => [
    ...new Set(
      (Array.isArray(v) ? v : [v])
        .flatMap((s) => s.split(","))
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ])
  .superRefine((types, ctx) => {
    types.forEach((t, i) => {
      if (matcherFor(t) === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [i],
          message: `Unknown event type; expected one of ${EVENT_TYPES.join(", ")} or an upstream Everruns event name`,
        });
      }
    });
  });

/**
 * Filters of the upstream Everruns event list that this API does not have. The official SDKs can
 * send them; sent, they are a 400 naming the parameter rather than an unfiltered list that looks filtered.
 */
const UPSTREAM_ONLY_FILTERS = Object.fromEntries(
  ["around", "window", "from_ts", "to_ts", "exec_id", "trace_id", "tags", "tool_name", "q"].map((name) => [
    name,
    z
      .unknown()
      .refine((v) => v === undefined, "Not a filter of this API")
      .optional()
      .openapi({ param: { name, in: "query" }, description: "An upstream Everruns filter this API does not have: sending it is a 400" }),
  ]),
);

export const EventsQuery = z
  .object({
    since_id: idString("event")
      .optional()
      .openapi({
        param: { name: "since_id", in: "query" },
        description: "Resume after this event: any id the server handed out, a delta's included (Last-Event-ID wins when both are sent)",
      }),
    after_sequence: wholeNumberQuery("after_sequence", 0, {
      description: "Resume after this sequence (0: from the start); not together with since_id",
    }),
    types: TypeList.optional().openapi({ param: { name: "types", in: "query" }, description: "Only these types (repeatable)" }),
    exclude: TypeList.optional().openapi({ param: { name: "exclude", in: "query" }, description: "Not these types (repeatable)" }),
    limit: clampedLimit(
      MAX_EVENTS_PAGE,
      MAX_EVENTS_PAGE,
      `JSON list only: at most this many events (default and maximum ${MAX_EVENTS_PAGE}; ` +
        `values outside 1–${MAX_EVENTS_PAGE} are clamped). ` +
        "A page also stops once its events' data passes 8 MiB (it always holds one); page on with since_id until a page is empty.",
    ),
    before_sequence: wholeNumberQuery("before_sequence", 1, {
      description: "JSON list only: the newest `limit` events before this sequence",
    }),
    turn_id: idString("turn")
      .optional()
      .openapi({ param: { name: "turn_id", in: "query" }, description: "JSON list only: the events of this turn" }),
    order_desc: z
      .enum(["true", "false"])
      .optional()
      .transform((v) => v === "true")
      .openapi({ param: { name: "order_desc", in: "query" }, description: "JSON list only: newest first (the same page, reversed)" }),
    ...UPSTREAM_ONLY_FILTERS,
  })
  .superRefine((query, ctx) => {
    if (query.since_id !== undefined && query.after_sequence !== undefined) {
      ctx.addIssue({ code: "custom", path: ["after_sequence"], message: "Give since_id or after_sequence, not both" });
    }
  });

export const LastEventIdHeader = z.object({
  "last-event-id": z
    .string()
    .optional()
    .openapi({
      param: { name: "last-event-id", in: "header" },
      description: "Resume after this event id (sent by EventSource on reconnect; header names are case-insensitive)",
    }),
});

export type EventsQueryValue = z.infer<typeof EventsQuery>;
