import { z } from "@hono/zod-openapi";
import { boundedString, idString } from "./common";

/** Limits of a chat request: the transport sends the whole conversation every time. */
const CHAT_LIMITS = { messages: 10_000, parts: 1_000, idBytes: 256 } as const;

/** A part of a UIMessage: tagged by `type`; the fields this API reads are checked where it reads them. */
const UiPartSchema = z
  .looseObject({ type: boundedString(128).pipe(z.string().min(1)) })
  .openapi("UiMessagePart", { description: "A UIMessage part (`text`, `file`, `tool-<name>`, `dynamic-tool`, `step-start`, …)" });

const UiMessageSchema = z
  .looseObject({
    id: boundedString(CHAT_LIMITS.idBytes).pipe(z.string().min(1)),
    role: z.enum(["system", "user", "assistant"]),
    parts: z.array(UiPartSchema).max(CHAT_LIMITS.parts),
  })
  .openapi("UiMessage", { description: "A Vercel AI SDK UIMessage" });

/** The body `DefaultChatTransport` sends (`ai` v5 and later); extra fields a transport adds are ignored. */
export const ChatRequestSchema = z
  .looseObject({
    id: idString("session").openapi({ description: "The chat id: a session id" }),
    messages: z.array(UiMessageSchema).min(1).max(CHAT_LIMITS.messages),
    trigger: z
      .enum(["submit-message", "regenerate-message"])
      .openapi({ description: "`regenerate-message` is refused (422 `unsupported_feature`)" }),
    messageId: boundedString(CHAT_LIMITS.idBytes).optional(),
  })
  .openapi("ChatRequest");
