import type { TurnOp } from "./turn-tracker";

/**
 * The chunks of the Vercel AI SDK's UI message stream (`ai` v5 and later) this API sends: the
 * subset of the `ai` package's `UIMessageChunk` union a session's turn maps to.
 */
export type UiChunk =
  | { type: "start"; messageId: string }
  | { type: "start-step" }
  | { type: "finish-step" }
  | { type: "text-start"; id: string }
  | { type: "text-delta"; id: string; delta: string }
  | { type: "text-end"; id: string }
  | { type: "tool-input-available"; toolCallId: string; toolName: string; input: unknown }
  | { type: "tool-output-available"; toolCallId: string; output: unknown }
  | { type: "tool-output-error"; toolCallId: string; errorText: string }
  | { type: "tool-output-denied"; toolCallId: string }
  | { type: "tool-approval-request"; approvalId: string; toolCallId: string }
  | { type: "tool-approval-response"; approvalId: string; approved: boolean }
  | { type: "finish"; finishReason: "stop" | "tool-calls" | "error" }
  | { type: "error"; errorText: string }
  | { type: "abort"; reason: string };

/**
 * A turn as UI message chunks. The assistant UIMessage is the turn (its id is the turn id), each
 * model reply a step, each reply's text one text part (its id is the reply's message id). A gated
 * call is a `tool-approval-request` (its approval id is the call id), a rejected one
 * `tool-output-denied`. A turn parked for its client or an approval ends the stream with `finish`
 * (`tool-calls`): the client answers with its next POST (`addToolOutput`, `addToolApprovalResponse`).
 */
export function uiChunksOf(op: TurnOp): UiChunk[] {
  switch (op.op) {
    case "start":
      return [{ type: "start", messageId: op.turnId }];
    case "step-start":
      return [{ type: "start-step" }];
    case "step-end":
      return [{ type: "finish-step" }];
    case "text-start":
      return [{ type: "text-start", id: op.replyId }];
    case "text-delta":
      return [{ type: "text-delta", id: op.replyId, delta: op.delta }];
    case "text-end":
      return [{ type: "text-end", id: op.replyId }];
    case "tool-call":
      return [{ type: "tool-input-available", toolCallId: op.call.id, toolName: op.call.name, input: op.call.arguments }];
    case "approval-request":
      return [{ type: "tool-approval-request", approvalId: op.call.id, toolCallId: op.call.id }];
    case "approval-decided":
      return [{ type: "tool-approval-response", approvalId: op.toolCallId, approved: op.approved }];
    case "tool-result":
      if (op.errorCode === "tool_rejected") return [{ type: "tool-output-denied", toolCallId: op.toolCallId }];
      return op.status === "error"
        ? [{ type: "tool-output-error", toolCallId: op.toolCallId, errorText: op.error ?? "The tool failed" }]
        : [{ type: "tool-output-available", toolCallId: op.toolCallId, output: op.result }];
    case "end":
      switch (op.outcome) {
        case "completed":
          return [{ type: "finish", finishReason: "stop" }];
        case "waiting":
          return [{ type: "finish", finishReason: "tool-calls" }];
        case "cancelled":
          return [{ type: "abort", reason: "cancelled" }];
        case "failed":
        case "lost":
          return [
            { type: "error", errorText: op.error },
            { type: "finish", finishReason: "error" },
          ];
      }
  }
}

/** A chunk as an SSE frame (`data: <json>`), and the frame that ends the stream. */
export function uiChunkFrame(chunk: UiChunk): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export const UI_STREAM_DONE = "data: [DONE]\n\n";

/** The response headers of a UI message stream. */
export const UI_STREAM_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
  "x-vercel-ai-ui-message-stream": "v1",
} as const;
