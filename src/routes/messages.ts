import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { traits } from "../middleware/traits";
import {
  boundedString,
  errorResponses,
  freeFormValue,
  idParam,
  idString,
  jsonBody,
  jsonResponse,
  PaginationQuery,
  paginated,
} from "../schemas/common";
import { CreateMessageSchema, MESSAGE_LIMITS, MessageSchema } from "../schemas/messages";
import { SESSION_STATUSES } from "../schemas/sessions";
import { assertModelInOrg } from "../services/models";
import { sessionClient } from "../services/session-client";

const tags = ["Messages"];
const SessionParams = z.object({ session_id: idParam("session", "session_id") });

/** The body of GET …/messages; exported so tests parse with the route's own schema. */
export const MessagePage = paginated(MessageSchema).openapi("MessagePage");

const listMessagesRoute = createRoute({
  method: "get",
  path: "/v1/sessions/{session_id}/messages",
  middleware: traits({ access: "org" }),
  operationId: "listMessages",
  tags,
  summary: "List a session's messages, oldest first (paginated)",
  description: "In sequence order. `limit` defaults to 20, at most 100 (larger values are clamped); `offset` skips that many messages.",
  request: { params: SessionParams, query: PaginationQuery },
  responses: { 200: jsonResponse(MessagePage, "A page of messages"), ...errorResponses(400, 401, 404, 429) },
});

const createMessageRoute = createRoute({
  method: "post",
  path: "/v1/sessions/{session_id}/messages",
  middleware: traits({ access: "org", idempotent: { byObject: true } }),
  operationId: "createMessage",
  tags,
  summary: "Send a user message: it starts a turn, or queues behind the running one",
  description:
    `Text parts must be non-empty; at most ${MESSAGE_LIMITS.parts} parts. ` +
    `\`metadata\` is free-form, at most ${MESSAGE_LIMITS.metadataBytes} bytes as JSON. ` +
    "`tags` (same rules as session tags) are stored as `metadata.tags`; " +
    "a request with both `tags` and `metadata.tags` is a 400 naming `body.tags`, " +
    "so neither is silently overwritten.",
  request: { params: SessionParams, body: jsonBody(CreateMessageSchema) },
  responses: { 201: jsonResponse(MessageSchema, "The stored message"), ...errorResponses(400, 401, 404, 413, 415, 422, 429) },
});

const TOOL_RESULT_LIMITS = { results: 64, resultBytes: 256 * 1024, errorBytes: 16 * 1024 } as const;

/** Results of client-side tool calls, one per call, each id at most once. */
const ToolResultsSchema = z
  .object({
    tool_results: z
      .array(
        z.object({
          tool_call_id: z.string().min(1).max(256).openapi({ example: "call_1" }),
          result: freeFormValue({ maxBytes: TOOL_RESULT_LIMITS.resultBytes })
            .optional()
            .openapi({ description: "What the tool returned (any JSON)", example: { temperature_c: 21 } }),
          error: boundedString(TOOL_RESULT_LIMITS.errorBytes)
            .nullable()
            .optional()
            .openapi({ description: "Set when the tool failed: the model reads it" }),
        }),
      )
      .min(1)
      .max(TOOL_RESULT_LIMITS.results)
      .superRefine((results, ctx) => {
        const seen = new Set<string>();
        results.forEach((r, i) => {
          if (seen.has(r.tool_call_id)) ctx.addIssue({ code: "custom", path: [i, "tool_call_id"], message: "Duplicate tool_call_id" });
          seen.add(r.tool_call_id);
        });
      }),
  })
  .openapi("ToolResults");

const toolResultsRoute = createRoute({
  method: "post",
  path: "/v1/sessions/{session_id}/tool-results",
  middleware: traits({ access: "org" }),
  operationId: "submitToolResults",
  tags: ["Sessions"],
  summary: "Post the results of client-side tool calls",
  description:
    "When the model calls a client-side tool (declared in `tools` of the agent or session), the turn emits `tool.call` with " +
    '`executor: "client"` and the session becomes `waitingfortoolresults`. Post each call\'s `result` (or `error`) here; the turn ' +
    "goes on once every pending call has one. Results are stored all or none. 409 `not_waiting_for_tool_results` when no call " +
    "is pending, 422 `unknown_tool_call` for an id that is not, 409 `tool_call_already_answered` for a call that has its result.",
  request: { params: SessionParams, body: jsonBody(ToolResultsSchema) },
  responses: {
    200: jsonResponse(
      z
        .object({
          accepted: z.number().int(),
          status: z.enum(SESSION_STATUSES).openapi({ description: "The session's status after these results" }),
        })
        .openapi("ToolResultsAccepted"),
      "How many results were stored, and the session's status",
    ),
    ...errorResponses(400, 401, 404, 409, 413, 415, 422, 429),
  },
});

const CancelSchema = z
  .object({ turn_id: idString("turn").optional().openapi({ description: "The turn to cancel (from turn.started)" }) })
  .openapi("CancelRequest");

const cancelRoute = createRoute({
  method: "post",
  path: "/v1/sessions/{session_id}/cancel",
  middleware: traits({ access: "org" }),
  operationId: "cancelSession",
  tags: ["Sessions"],
  summary: "Cancel the running turn (idempotent)",
  description:
    "With `turn_id`, cancels that turn only: repeating the call answers the same and never touches another turn (clients should send it). " +
    "Without it, cancels the turn running when the request reaches the session, except when that turn is the one queued " +
    "behind a turn a cancel ended less than 2 s before: then it is taken as a duplicate of that cancel (answered `cancelled`, touching nothing), " +
    "so a double click never ends the next queued turn.",
  request: {
    params: SessionParams,
    body: { required: false, content: { "application/json": { schema: CancelSchema } } },
  },
  responses: {
    200: jsonResponse(z.object({ status: z.enum(["cancelled", "no_op"]) }).openapi("CancelResult"), "What the cancel did"),
    ...errorResponses(400, 401, 404, 413, 415, 429),
  },
});

export const messagesRouter = createRouter()
  .openapi(listMessagesRoute, async (c) => {
    return c.json(await sessionClient(c, c.req.valid("param").session_id).listMessages(c.req.valid("query")), 200);
  })
  .openapi(createMessageRoute, async (c) => {
    const { orgId } = c.var.principal;
    const { session_id } = c.req.valid("param");
    const body = c.req.valid("json");
    // The one D1 read of a post, and only when the message names a model; the object knows its own org.
    await assertModelInOrg(c.var.db, orgId, body.controls?.model_id, "body.controls.model_id");
    // The schema refused tags in both places, so this adds metadata.tags without replacing one.
    const metadata = body.tags ? { ...body.metadata, tags: body.tags } : (body.metadata ?? null);
    const posted = await sessionClient(c, session_id).postMessage({
      content: body.message.content,
      controls: body.controls ?? null,
      metadata,
    });
    if (posted.replayed) c.header("idempotent-replayed", "true");
    return c.json(posted.message, 201);
  })
  .openapi(toolResultsRoute, async (c) => {
    return c.json(await sessionClient(c, c.req.valid("param").session_id).submitToolResults(c.req.valid("json").tool_results), 200);
  })
  .openapi(cancelRoute, async (c) => {
    const turnId = (c.req.valid("json") as { turn_id?: string } | undefined)?.turn_id;
    return c.json(await sessionClient(c, c.req.valid("param").session_id).cancel(turnId), 200);
  });
