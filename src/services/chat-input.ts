import { z } from "@hono/zod-openapi";
import { ApiError, type FieldError } from "../lib/errors";
import { inputErrorCode } from "../lib/validation";
import { freeFormValue } from "../schemas/common";
import { type ContentPart, CreateMessageSchema } from "../schemas/messages";
import type { ApprovalDecisionInput, ToolResultInput } from "../session/rpc";

/** The size limit of one tool output, as on `POST …/tool-results`. */
const TOOL_OUTPUT_BYTES = 256 * 1024;
const TOOL_ERROR_BYTES = 16 * 1024;
const ToolOutput = freeFormValue({ maxBytes: TOOL_OUTPUT_BYTES });

/** UIMessage parts a user message may carry that add nothing to the session's message. */
const IGNORED_USER_PARTS = new Set(["step-start"]);

/** Reads a `data:` URL's media type and base64 payload, or null for any other URL. */
function dataUrl(url: string): { mediaType: string; base64: string } | null {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return match ? { mediaType: match[1] ?? "", base64: match[2] ?? "" } : null;
}

/**
 * A user UIMessage's parts as the session's message content: text parts, and `file` parts that
 * are images (an https URL or a base64 `data:` URL). Anything else is a 400 naming the part; the
 * content is then checked by the same rules as `POST …/messages`.
 */
export function userContentOf(parts: readonly Record<string, unknown>[], index: number): ContentPart[] {
  const content: ContentPart[] = [];
  const from: number[] = [];
  const errors: FieldError[] = [];
  parts.forEach((part, j) => {
    const path = `body.messages.${index}.parts.${j}`;
    if (part["type"] === "text") {
      if (typeof part["text"] !== "string") errors.push({ path: `${path}.text`, message: "Must be a string" });
      else if (part["text"].length > 0) {
        content.push({ type: "text", text: part["text"] });
        from.push(j);
      }
    } else if (part["type"] === "file") {
      const mediaType = part["mediaType"];
      const url = part["url"];
      if (typeof mediaType !== "string" || !mediaType.startsWith("image/") || typeof url !== "string") {
        errors.push({ path, message: "Only image files can be sent" });
        return;
      }
      const data = dataUrl(url);
      content.push(
        data
          ? { type: "image", base64: data.base64, media_type: data.mediaType as "image/png" }
          : { type: "image", url, media_type: mediaType as "image/png" },
      );
      from.push(j);
    } else if (!IGNORED_USER_PARTS.has(String(part["type"])) && !String(part["type"]).startsWith("data-")) {
      errors.push({ path: `${path}.type`, message: "A user message may carry text and image file parts" });
    }
  });
  if (errors.length > 0) throw new ApiError("validation_failed", { errors });
  const checked = CreateMessageSchema.safeParse({ message: { role: "user", content } });
  if (!checked.success) {
    throw new ApiError(inputErrorCode(checked.error.issues), {
      errors: checked.error.issues.map((issue) => {
        const [, , k, ...rest] = issue.path;
        const part = typeof k === "number" ? `.parts.${from[k] ?? k}` : "";
        return { path: [`body.messages.${index}${part}`, ...rest.map(String)].join("."), message: issue.message };
      }),
    });
  }
  return checked.data.message.content;
}

/** Whether a UIMessage part is a tool part (`tool-<name>` or `dynamic-tool`). */
function isToolPart(part: Record<string, unknown>): boolean {
  const type = String(part["type"]);
  return type.startsWith("tool-") || type === "dynamic-tool";
}

/** Whether a part is the first to answer its call; a second one is an error naming its `toolCallId`. */
function answeredOnce(errors: FieldError[]): (toolCallId: string, path: string) => boolean {
  const seen = new Set<string>();
  return (toolCallId, path) => {
    if (!seen.has(toolCallId)) {
      seen.add(toolCallId);
      return true;
    }
    errors.push({ path: `${path}.toolCallId`, message: "Another part answers this call already" });
    return false;
  };
}

/**
 * The outputs an assistant UIMessage carries for calls the client runs (`addToolOutput`):
 * `output-available` becomes a result, `output-error` an error, for each call `pending` names.
 */
export function clientToolOutputs(
  parts: readonly Record<string, unknown>[],
  index: number,
  pending: (toolCallId: string) => boolean,
): ToolResultInput[] {
  const outputs: ToolResultInput[] = [];
  const errors: FieldError[] = [];
  const once = answeredOnce(errors);
  parts.forEach((part, j) => {
    const id = part["toolCallId"];
    if (!isToolPart(part) || typeof id !== "string" || !pending(id)) return;
    const path = `body.messages.${index}.parts.${j}`;
    if ((part["state"] === "output-available" || part["state"] === "output-error") && !once(id, path)) return;
    if (part["state"] === "output-available") {
      const output = ToolOutput.safeParse(part["output"] ?? null);
      if (output.success) outputs.push({ tool_call_id: id, result: part["output"] ?? null, error: null });
      else errors.push({ path: `${path}.output`, message: output.error.issues[0]?.message ?? "Invalid output" });
    } else if (part["state"] === "output-error") {
      const text = z.string().max(TOOL_ERROR_BYTES).safeParse(part["errorText"]);
      if (text.success) outputs.push({ tool_call_id: id, result: null, error: text.data });
      else errors.push({ path: `${path}.errorText`, message: `A string of at most ${TOOL_ERROR_BYTES} characters` });
    }
  });
  if (errors.length > 0) throw new ApiError("validation_failed", { errors });
  return outputs;
}

/** The decisions an assistant UIMessage carries for calls waiting for approval (`addToolApprovalResponse`), for each call `pending` names. */
export function approvalDecisions(
  parts: readonly Record<string, unknown>[],
  index: number,
  pending: (toolCallId: string) => boolean,
): ApprovalDecisionInput[] {
  const decisions: ApprovalDecisionInput[] = [];
  const errors: FieldError[] = [];
  const once = answeredOnce(errors);
  parts.forEach((part, j) => {
    const id = part["toolCallId"];
    if (!isToolPart(part) || typeof id !== "string" || !pending(id) || part["state"] !== "approval-responded") return;
    if (!once(id, `body.messages.${index}.parts.${j}`)) return;
    const approval = part["approval"] as { approved?: unknown; reason?: unknown } | undefined;
    if (typeof approval?.approved !== "boolean") {
      errors.push({ path: `body.messages.${index}.parts.${j}.approval.approved`, message: "Must be a boolean" });
      return;
    }
    const reason = typeof approval.reason === "string" ? approval.reason.slice(0, TOOL_ERROR_BYTES) : null;
    decisions.push({ tool_call_id: id, decision: approval.approved ? "allow" : "reject", reason });
  });
  if (errors.length > 0) throw new ApiError("validation_failed", { errors });
  return decisions;
}
