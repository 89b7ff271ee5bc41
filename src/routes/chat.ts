import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { OrgEnv } from "../env";
import { createRouter } from "../lib/create-router";
import { ApiError } from "../lib/errors";
import { streamSettings } from "../lib/stream-settings";
import { traits } from "../middleware/traits";
import { ChatRequestSchema } from "../schemas/chat";
import { errorResponses, idParam, jsonBody } from "../schemas/common";
import { approvalDecisions, clientToolOutputs, userContentOf } from "../services/chat-input";
import { postProtocolMessage, submitProtocolAnswers } from "../services/protocol-session";
import { sessionClient } from "../services/session-client";
import { EventFeed } from "../streaming/event-feed";
import { projectedStream } from "../streaming/projected-stream";
import { runningTurn, turnFacts } from "../streaming/turn-facts";
import { type TurnOp, TurnTracker } from "../streaming/turn-tracker";
import { UI_STREAM_DONE, UI_STREAM_HEADERS, uiChunkFrame, uiChunksOf } from "../streaming/ui-message-stream";

const tags = ["Client protocols"];
const streamContent = {
  "text/event-stream": {
    schema: z.string().openapi({ description: "The AI SDK UI message stream: `data: <chunk JSON>` frames, then `data: [DONE]`" }),
  },
};

const chatRoute = createRoute({
  method: "post",
  path: "/v1/chat",
  operationId: "chat",
  tags,
  middleware: traits({ access: "org" }),
  summary: "The Vercel AI SDK chat protocol over a session (DefaultChatTransport's POST)",
  description:
    "Takes the body `DefaultChatTransport` sends: `id` (a session id), `messages` (UIMessages), `trigger`, `messageId`. " +
    "A last user message's text and image file parts become the session's new message; its UIMessage `id` makes a retry " +
    "idempotent (one turn). A last assistant message (the turn, by id) carrying tool outputs (`addToolOutput`) answers the " +
    "turn's waiting client-side calls. Answers the UI message stream of that turn (header `x-vercel-ai-ui-message-stream: v1`). " +
    "`regenerate-message` is refused with 422 `unsupported_feature`: the session's history is append-only.",
  request: { body: jsonBody(ChatRequestSchema) },
  responses: {
    200: { description: "The UI message stream of the turn", content: streamContent },
    ...errorResponses(400, 401, 404, 409, 413, 415, 422, 429),
  },
});

const streamRoute = createRoute({
  method: "get",
  path: "/v1/chat/{session_id}/stream",
  operationId: "resumeChatStream",
  tags,
  middleware: traits({ access: "org" }),
  summary: "Resume the chat stream of the running turn (DefaultChatTransport's reconnectToStream)",
  description: "Replays the running turn's UI message stream from its start, then goes on live; 204 when no turn is running.",
  request: { params: z.object({ session_id: idParam("session", "session_id") }) },
  responses: {
    200: { description: "The UI message stream of the running turn", content: streamContent },
    204: { description: "No turn is running: nothing to resume" },
    ...errorResponses(400, 401, 404, 429),
  },
});

/** A turn's UI message stream: the chunks of its ops, then `[DONE]`. */
function uiStream(c: Context<OrgEnv>, feed: EventFeed | null, tracker: TurnTracker, opening: TurnOp[] = []): Response {
  const projection = { tracker, prelude: [], opening, frames: (op: TurnOp) => uiChunksOf(op).map(uiChunkFrame), closing: [UI_STREAM_DONE] };
  return new Response(projectedStream(feed, projection, streamSettings(c.env).heartbeatMs), { headers: UI_STREAM_HEADERS });
}

/** A new user message: stored once per UIMessage id (a retry follows the same turn), then its turn streamed. */
async function sendUserMessage(
  c: Context<OrgEnv>,
  sessionId: string,
  index: number,
  message: { id: string; parts: Record<string, unknown>[] },
): Promise<Response> {
  const content = userContentOf(message.parts, index);
  const posted = await postProtocolMessage(
    c,
    sessionId,
    { content, controls: null, metadata: { ui_message_id: message.id } },
    {
      scope: "ui-message",
      id: message.id,
      fingerprint: content,
      path: `body.messages.${index}.id`,
    },
  );
  const feed = await EventFeed.open(sessionClient(c, sessionId), posted.message.sequence);
  return uiStream(c, feed, new TurnTracker({ inputMessageId: posted.message.id }));
}

/**
 * The client's answers to the turn's waiting calls (the assistant UIMessage is the turn): tool
 * outputs (`addToolOutput`) and approval decisions (`addToolApprovalResponse`), stored, then the
 * rest of the turn streamed from just after its last call. A retry whose answers are stored only
 * streams.
 */
async function answerToolCalls(
  c: Context<OrgEnv>,
  sessionId: string,
  index: number,
  message: { id: string; parts: Record<string, unknown>[] },
): Promise<Response> {
  const turnId = message.id;
  const session = sessionClient(c, sessionId);
  const facts = await turnFacts((query) => session.listEvents(query), turnId);
  if (!facts || (facts.clientCalls.size === 0 && facts.approvalCalls.size === 0)) {
    throw new ApiError("not_waiting_for_tool_results", {
      detail: "The last message is not a turn of this session that called a client-side tool or asked for an approval",
      errors: [{ path: `body.messages.${index}.id`, message: "Not a turn with client-side tool calls or approvals" }],
    });
  }
  const open = facts.open();
  const waits = (kind: "client" | "approval") => (id: string) => open.some((c) => c.kind === kind && c.id === id);
  const outputs = clientToolOutputs(message.parts, index, waits("client"));
  const decisions = approvalDecisions(message.parts, index, waits("approval"));
  const settled = await submitProtocolAnswers(session, facts, outputs, decisions);
  const tracker = new TurnTracker({ turnId }, settled);
  const stillOpen = open.filter((c) => !settled.has(c.id));
  if (stillOpen.length > 0) return uiStream(c, null, tracker, tracker.waiting(stillOpen));
  const feed = await EventFeed.open(session, facts.lastCallSequence);
  return uiStream(c, feed, tracker, tracker.open());
}

export const chatRouter = createRouter()
  .openapi(chatRoute, async (c) => {
    const body = c.req.valid("json");
    if (body.trigger === "regenerate-message") {
      throw new ApiError("unsupported_feature", {
        detail: "regenerate-message is not supported: a session's history is append-only; send a new message instead",
        errors: [{ path: "body.trigger", message: "Only submit-message is supported" }],
      });
    }
    const index = body.messages.length - 1;
    const last = body.messages[index];
    if (last?.role === "user") return sendUserMessage(c, body.id, index, last);
    if (last?.role === "assistant") return answerToolCalls(c, body.id, index, last);
    throw new ApiError("validation_failed", {
      errors: [
        { path: `body.messages.${index}.role`, message: "The last message must be the user's, or the assistant's with tool outputs" },
      ],
    });
  })
  .openapi(streamRoute, async (c) => {
    const { session_id } = c.req.valid("param");
    const session = sessionClient(c, session_id);
    const running = await runningTurn((query) => session.listEvents(query));
    if (!running) return c.body(null, 204);
    // A HEAD opens nothing: its body would never be read, and the feed would hold a stream slot until the turn ends.
    if (c.req.method === "HEAD") return new Response(null, { headers: UI_STREAM_HEADERS }) as never;
    const facts = await turnFacts((query) => session.listEvents(query), running.turnId);
    const feed = await EventFeed.open(session, running.startedSequence - 1);
    const settled = new Set([...(facts?.answered ?? []), ...(facts?.decided ?? [])]);
    return uiStream(c, feed, new TurnTracker({ turnId: running.turnId }, settled)) as never;
  });
