import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { OrgEnv } from "../env";
import { createRouter } from "../lib/create-router";
import { ApiError } from "../lib/errors";
import { streamSettings } from "../lib/stream-settings";
import { traits } from "../middleware/traits";
import { RunAgentInputSchema, type RunAgentInputValue } from "../schemas/ag-ui";
import { errorResponses, idParam, jsonBody } from "../schemas/common";
import type { ClientTool } from "../schemas/tools";
import { runContentOf } from "../services/ag-ui-input";
import { postProtocolMessage, submitProtocolAnswers } from "../services/protocol-session";
import { type SessionClient, sessionClient } from "../services/session-client";
import { type AgUiRun, agUiEventsOf, agUiFrame, runError, runStarted } from "../streaming/ag-ui-events";
import { EventFeed } from "../streaming/event-feed";
import { projectedStream } from "../streaming/projected-stream";
import { runningTurn, type TurnFacts, turnFacts } from "../streaming/turn-facts";
import { type TurnOp, TurnTracker } from "../streaming/turn-tracker";

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
} as const;

const agUiRoute = createRoute({
  method: "post",
  path: "/v1/sessions/{session_id}/ag-ui",
  operationId: "runAgUi",
  tags: ["Client protocols"],
  middleware: traits({ access: "org" }),
  summary: "An AG-UI 1.0 run over a session",
  description:
    "Takes `RunAgentInput` (`threadId` = the session id). The last user message starts a turn (its message `id` makes a retry " +
    "one turn); `tools` are client-side tools for that run; `context` is added to the message as a text part; `state` and " +
    "`forwardedProps` are not used. Streams AG-UI events: RUN_STARTED, TEXT_MESSAGE_*, TOOL_CALL_*, TOOL_CALL_RESULT, then " +
    'RUN_FINISHED or RUN_ERROR. A call to a frontend tool ends the run with RUN_FINISHED `outcome: {type: "interrupt"}` ' +
    "(one interrupt per call, its id the call's id); the next run's `resume` carries each result as `payload` (or `cancelled`). " +
    "An unknown interrupt id, a resume that leaves an open interrupt out, or new input while interrupts are open end the run with RUN_ERROR.",
  request: { params: z.object({ session_id: idParam("session", "session_id") }), body: jsonBody(RunAgentInputSchema) },
  responses: {
    200: {
      description: "AG-UI events over SSE",
      content: { "text/event-stream": { schema: z.string().openapi({ description: "`data: <AG-UI event JSON>` frames" }) } },
    },
    ...errorResponses(400, 401, 404, 413, 415, 422, 429),
  },
});

/** A run that ends as soon as it starts, with RUN_ERROR (the protocol's only error event). */
function failedRun(run: AgUiRun, message: string, code: string): Response {
  return new Response([runStarted(run), runError(message, code)].map(agUiFrame).join(""), { headers: SSE_HEADERS });
}

/** The run's events: RUN_STARTED, then the turn as AG-UI events until the run ends. */
function runStream(c: Context<OrgEnv>, run: AgUiRun, feed: EventFeed, tracker: TurnTracker, opening: TurnOp[] = []): Response {
  const projection = {
    tracker,
    prelude: [agUiFrame(runStarted(run))],
    opening,
    frames: (op: TurnOp) => agUiEventsOf(op, run).map(agUiFrame),
    closing: [],
  };
  return new Response(projectedStream(feed, projection, streamSettings(c.env).heartbeatMs), { headers: SSE_HEADERS });
}

/**
 * A run that resumes the parked turn: each entry answers one interrupt (a frontend tool call: its
 * result; an approval: `{approved, reason?}`), every open one must be answered, and the rest of
 * the turn streams from just after its calls. A resume already stored (a retry) only streams.
 */
async function resumeRun(
  c: Context<OrgEnv>,
  session: SessionClient,
  run: AgUiRun,
  input: RunAgentInputValue,
  turn: { turnId: string; facts: TurnFacts } | null,
): Promise<Response> {
  const resume = input.resume ?? [];
  if (!turn) return failedRun(run, "No interrupt of this thread is open", "unknown_interrupt");
  const { facts } = turn;
  const isClient = (id: string) => facts.clientCalls.has(id);
  const isApproval = (id: string) => facts.approvalCalls.has(id);
  const unknown = resume.filter((r) => !isClient(r.interruptId) && !isApproval(r.interruptId)).map((r) => r.interruptId);
  if (unknown.length > 0) return failedRun(run, `Unknown interrupt id: ${unknown.join(", ")}`, "unknown_interrupt");
  const open = facts.open();
  const missing = open.filter((call) => !resume.some((r) => r.interruptId === call.id)).map((call) => call.id);
  if (missing.length > 0)
    return failedRun(run, `A resume must answer every open interrupt; missing: ${missing.join(", ")}`, "interrupts_not_resumed");
  const pending = (id: string) => open.some((call) => call.id === id);
  const badPayload = resume.filter(
    (r) =>
      isApproval(r.interruptId) &&
      r.status === "resolved" &&
      typeof (r.payload as { approved?: unknown } | undefined)?.approved !== "boolean",
  );
  if (badPayload.length > 0)
    return failedRun(
      run,
      `An approval's payload is {approved: boolean, reason?: string}: ${badPayload.map((r) => r.interruptId).join(", ")}`,
      "invalid_resume_payload",
    );
  const results = resume
    .filter((r) => isClient(r.interruptId) && pending(r.interruptId))
    .map((r) =>
      r.status === "resolved"
        ? { tool_call_id: r.interruptId, result: r.payload ?? null, error: null }
        : { tool_call_id: r.interruptId, result: null, error: "The user cancelled this tool call" },
    );
  const decisions = resume
    .filter((r) => isApproval(r.interruptId) && pending(r.interruptId))
    .map((r) => {
      const payload = r.payload as { approved?: boolean; reason?: unknown } | undefined;
      const approved = r.status === "resolved" && payload?.approved === true;
      const reason =
        r.status === "cancelled" ? "Cancelled by the user" : typeof payload?.reason === "string" ? payload.reason.slice(0, 4096) : null;
      return { tool_call_id: r.interruptId, decision: approved ? ("allow" as const) : ("reject" as const), reason };
    });
  const settled = await submitProtocolAnswers(session, facts, results, decisions);
  const tracker = new TurnTracker({ turnId: turn.turnId }, settled);
  const feed = await EventFeed.open(session, facts.lastCallSequence);
  return runStream(c, run, feed, tracker, tracker.open());
}

/** A run with new input: the last user message (stored once per AG-UI message id) starts a turn with the run's tools. */
async function newRun(c: Context<OrgEnv>, sessionId: string, run: AgUiRun, input: RunAgentInputValue): Promise<Response> {
  const { messageId, content } = runContentOf(input);
  const tools: ClientTool[] = input.tools.map((t) => ({
    type: "client_side",
    name: t.name,
    description: t.description,
    parameters: t.parameters ?? { type: "object", properties: {} },
  }));
  const metadata = { ag_ui: { run_id: run.runId, message_id: messageId, tools } };
  const posted = await postProtocolMessage(
    c,
    sessionId,
    { content, controls: null, metadata },
    {
      scope: "ag-ui-message",
      id: messageId,
      fingerprint: { content, tools },
      path: `body.messages.${input.messages.length - 1}.id`,
    },
  );
  const feed = await EventFeed.open(sessionClient(c, sessionId), posted.message.sequence);
  return runStream(c, run, feed, new TurnTracker({ inputMessageId: posted.message.id }));
}

export const agUiRouter = createRouter().openapi(agUiRoute, async (c) => {
  const { session_id } = c.req.valid("param");
  const input = c.req.valid("json");
  if (input.threadId !== session_id)
    throw new ApiError("validation_failed", { errors: [{ path: "body.threadId", message: "Must be the session id of the path" }] });
  const run = { threadId: input.threadId, runId: input.runId };
  const session = sessionClient(c, session_id);
  const running = await runningTurn((query) => session.listEvents(query));
  const facts = running ? await turnFacts((query) => session.listEvents(query), running.turnId) : null;
  const turn = running && facts ? { turnId: running.turnId, facts } : null;
  if (input.resume && input.resume.length > 0) return resumeRun(c, session, run, input, turn);
  const open = turn ? turn.facts.open().map((call) => call.id) : [];
  if (open.length > 0)
    return failedRun(run, `The thread has open interrupts (${open.join(", ")}): resume them first`, "interrupts_pending");
  return newRun(c, session_id, run, input);
});
