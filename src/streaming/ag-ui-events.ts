import type { TurnOp, WaitingCall } from "./turn-tracker";

/** The run an AG-UI stream belongs to. */
export interface AgUiRun {
  threadId: string;
  runId: string;
}

/** An AG-UI 1.0 event this API sends (a subset of `@ag-ui/core`'s `Event`). */
export type AgUiEvent = { type: string } & Record<string, unknown>;

/** What a resume of an approval interrupt sends as `payload`. */
const APPROVAL_RESPONSE_SCHEMA = {
  type: "object",
  properties: { approved: { type: "boolean" }, reason: { type: "string" } },
  required: ["approved"],
} as const;

/**
 * A call the run waits on, as the interrupt that ends it: its id is the call's id. A frontend
 * tool's resume carries the tool's result as `payload`; an approval's carries
 * `{approved, reason?}`; `cancelled` rejects or fails the call.
 */
function interruptOf(call: WaitingCall): Record<string, unknown> {
  if (call.kind === "approval") {
    return {
      id: call.id,
      reason: "tool_call",
      toolCallId: call.id,
      message: `Allow the tool ${call.name} to run?`,
      responseSchema: APPROVAL_RESPONSE_SCHEMA,
      ...(call.expiresAt ? { expiresAt: call.expiresAt } : {}),
      metadata: { toolName: call.name, arguments: call.arguments, approval: true },
    };
  }
  return {
    id: call.id,
    reason: "tool_call",
    toolCallId: call.id,
    message: `Run the frontend tool ${call.name}, then resume with its result as the payload`,
    metadata: { toolName: call.name, arguments: call.arguments },
  };
}

export function runStarted(run: AgUiRun): AgUiEvent {
  return { type: "RUN_STARTED", threadId: run.threadId, runId: run.runId };
}

export function runError(message: string, code: string): AgUiEvent {
  return { type: "RUN_ERROR", message, code };
}

/**
 * A turn as AG-UI events: each reply's text is a text message (its id is the reply's message
 * id), each tool call START/ARGS/END with its result as TOOL_CALL_RESULT, and the run ends with
 * RUN_FINISHED (`success`, `cancelled`, or `interrupt` when calls wait for the client) or RUN_ERROR.
 */
export function agUiEventsOf(op: TurnOp, run: AgUiRun): AgUiEvent[] {
  switch (op.op) {
    case "start":
    case "step-start":
    case "step-end":
    case "approval-request":
    case "approval-decided":
      return [];
    case "text-start":
      return [{ type: "TEXT_MESSAGE_START", messageId: op.replyId, role: "assistant" }];
    case "text-delta":
      return [{ type: "TEXT_MESSAGE_CONTENT", messageId: op.replyId, delta: op.delta }];
    case "text-end":
      return [{ type: "TEXT_MESSAGE_END", messageId: op.replyId }];
    case "tool-call":
      return [
        {
          type: "TOOL_CALL_START",
          toolCallId: op.call.id,
          toolCallName: op.call.name,
          ...(op.replyId ? { parentMessageId: op.replyId } : {}),
        },
        { type: "TOOL_CALL_ARGS", toolCallId: op.call.id, delta: JSON.stringify(op.call.arguments ?? {}) },
        { type: "TOOL_CALL_END", toolCallId: op.call.id },
      ];
    case "tool-result":
      return [
        {
          type: "TOOL_CALL_RESULT",
          messageId: op.eventId,
          toolCallId: op.toolCallId,
          role: "tool",
          content: op.status === "error" ? (op.error ?? "The tool failed") : JSON.stringify(op.result),
        },
      ];
    case "end":
      switch (op.outcome) {
        case "completed":
          return [{ type: "RUN_FINISHED", ...run, outcome: { type: "success" } }];
        case "cancelled":
          return [{ type: "RUN_FINISHED", ...run, outcome: { type: "cancelled" } }];
        case "waiting":
          return [{ type: "RUN_FINISHED", ...run, outcome: { type: "interrupt", interrupts: op.calls.map(interruptOf) } }];
        case "failed":
          return [runError(op.error, op.errorCode)];
        case "lost":
          return [runError(op.error, op.errorCode)];
      }
  }
}

/** An AG-UI event as an SSE frame. */
export function agUiFrame(event: AgUiEvent): string {
  return `data: ${JSON.stringify(event)}\n\n`;
}
