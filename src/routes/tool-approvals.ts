import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { traits } from "../middleware/traits";
import { boundedString, errorResponses, idParam, jsonBody, jsonResponse } from "../schemas/common";
import { SESSION_STATUSES } from "../schemas/sessions";
import { sessionClient } from "../services/session-client";

const SessionParams = z.object({ session_id: idParam("session", "session_id") });

/** Decisions on calls waiting for approval, each id at most once. */
const ToolApprovalsSchema = z
  .object({
    decisions: z
      .array(
        z.object({
          tool_call_id: z.string().min(1).max(256).openapi({ example: "call_1" }),
          decision: z.enum(["allow", "allow_always", "reject", "reject_always"]).openapi({
            description:
              "`allow` runs the tool; `reject` gives the model an error result (`tool_rejected`); `*_always` also decides every later call of this tool name in the session without asking",
          }),
          reason: boundedString(4096).nullable().optional().openapi({ description: "Why (a rejection's reason reaches the model)" }),
        }),
      )
      .min(1)
      .max(64)
      .superRefine((decisions, ctx) => {
        const seen = new Set<string>();
        decisions.forEach((d, i) => {
          if (seen.has(d.tool_call_id)) ctx.addIssue({ code: "custom", path: [i, "tool_call_id"], message: "Duplicate tool_call_id" });
          seen.add(d.tool_call_id);
        });
      }),
  })
  .openapi("ToolApprovals");

const toolApprovalsRoute = createRoute({
  method: "post",
  path: "/v1/sessions/{session_id}/tool-approvals",
  middleware: traits({ access: "org" }),
  operationId: "submitToolApprovals",
  tags: ["Sessions"],
  summary: "Decide on tool calls waiting for a person's approval",
  description:
    'A call to a tool whose capability sets `config.require_approval` is emitted as `tool.call` with `approval: "required"` and ' +
    "`tool.approval_requested`; the tool has not run, and the session is `waitingfortoolresults`. Decisions are applied all or none, " +
    "each with a `tool.approval_decided` event; the turn goes on once no call waits. Any member who can see the session may decide. " +
    "422 `unknown_tool_call` for an id that never waited for approval here, 409 `tool_call_already_decided` for one decided already " +
    "(also by the approval timeout, TOOL_APPROVAL_TIMEOUT_MS, or its turn's end).",
  request: { params: SessionParams, body: jsonBody(ToolApprovalsSchema) },
  responses: {
    200: jsonResponse(
      z
        .object({
          accepted: z.number().int(),
          status: z.enum(SESSION_STATUSES).openapi({ description: "The session's status after these decisions" }),
        })
        .openapi("ToolApprovalsAccepted"),
      "How many decisions were applied, and the session's status",
    ),
    ...errorResponses(400, 401, 404, 409, 413, 415, 422, 429),
  },
});

export const toolApprovalsRouter = createRouter().openapi(toolApprovalsRoute, async (c) => {
  const { session_id } = c.req.valid("param");
  return c.json(await sessionClient(c, session_id).decideToolApprovals(c.req.valid("json").decisions), 200);
});
