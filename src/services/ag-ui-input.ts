import { ApiError, type FieldError } from "../lib/errors";
import { inputErrorCode } from "../lib/validation";
import type { RunAgentInputValue } from "../schemas/ag-ui";
import { type ContentPart, CreateMessageSchema } from "../schemas/messages";

/** The media types a session's image part takes. */
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

function imageOf(source: unknown): ContentPart | null {
  const s = source as { type?: unknown; value?: unknown; mimeType?: unknown } | null;
  if (typeof s?.value !== "string") return null;
  const mediaType = typeof s.mimeType === "string" && IMAGE_TYPES.has(s.mimeType) ? (s.mimeType as "image/png") : undefined;
  if (s.type === "url") return { type: "image", url: s.value, ...(mediaType ? { media_type: mediaType } : {}) };
  if (s.type === "data" && mediaType) return { type: "image", base64: s.value, media_type: mediaType };
  return null;
}

/**
 * The run's new input as a session message's content: the last message, which must be the
 * user's (a string, or text and image parts), then the run's `context` as one text part, so the
 * model sees it and the stored message shows it. Checked by the same rules as `POST …/messages`.
 */
export function runContentOf(input: RunAgentInputValue): { messageId: string; content: ContentPart[] } {
  const index = input.messages.length - 1;
  const last = input.messages[index];
  const path = `body.messages.${index}`;
  if (last?.role !== "user") {
    throw new ApiError("validation_failed", {
      errors: [{ path: index < 0 ? "body.messages" : `${path}.role`, message: "A run without resume needs a new user message last" }],
    });
  }
  const content: ContentPart[] = [];
  /** Where each content part came from, for error paths: the input part's index, the string content, or the run's context. */
  const from: (number | "string" | "context")[] = [];
  const errors: FieldError[] = [];
  if (typeof last.content === "string") {
    if (last.content.length > 0) {
      content.push({ type: "text", text: last.content });
      from.push("string");
    }
  } else if (Array.isArray(last.content)) {
    last.content.forEach((part: { type?: unknown; text?: unknown; source?: unknown }, j) => {
      if (part?.type === "text" && typeof part.text === "string") {
        if (part.text.length > 0) {
          content.push({ type: "text", text: part.text });
          from.push(j);
        }
      } else if (part?.type === "image" && imageOf(part.source)) {
        content.push(imageOf(part.source) as ContentPart);
        from.push(j);
      } else {
        errors.push({
          path: `${path}.content.${j}`,
          message: "Only text and image parts (a URL, or base64 data of a PNG, JPEG, GIF or WebP) can be sent",
        });
      }
    });
  } else {
    errors.push({ path: `${path}.content`, message: "A string or a list of parts" });
  }
  if (errors.length > 0) throw new ApiError("validation_failed", { errors });
  if (input.context.length > 0) {
    content.push({
      type: "text",
      text: ["Context from the application:", ...input.context.map((c) => `- ${c.description}: ${c.value}`)].join("\n"),
    });
    from.push("context");
  }
  const checked = CreateMessageSchema.safeParse({ message: { role: "user", content } });
  if (!checked.success) {
    throw new ApiError(inputErrorCode(checked.error.issues), {
      errors: checked.error.issues.map((issue) => {
        const [, , k, ...rest] = issue.path;
        const origin = typeof k === "number" ? from[k] : undefined;
        if (origin === "context") return { path: "body.context", message: `The context entries together: ${issue.message}` };
        const part = typeof origin === "number" ? [String(origin)] : [];
        return { path: [`${path}.content`, ...part, ...(origin === "string" ? [] : rest.map(String))].join("."), message: issue.message };
      }),
    });
  }
  return { messageId: last.id, content: checked.data.message.content };
}
