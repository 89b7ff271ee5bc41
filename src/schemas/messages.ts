import { z } from "@hono/zod-openapi";
import { FREE_FORM_MAX_DEPTH } from "../lib/json-depth";
import { MAX_STORED_PART_BYTES } from "../lib/payload-limit";
import { boundedString, freeFormObject, idString, TagsSchema } from "./common";

export const MESSAGE_LIMITS = {
  parts: 32,
  textBytes: 256 * 1024,
  imageUrlBytes: 8 * 1024,
  imageBase64Bytes: 768 * 1024,
  metadataBytes: 16 * 1024,
} as const;

/** Text of a stored message: a user's (at most `MESSAGE_LIMITS.textBytes`) or a reply, cut in storage past MAX_STORED_PART_BYTES. */
const TextPart = z
  .object({
    type: z.literal("text"),
    text: z.string(),
    truncated: z
      .literal(true)
      .optional()
      .openapi({
        description: `Set on a reply whose text passed ${MAX_STORED_PART_BYTES} bytes as JSON: the stored text is its leading part (the stream carried all of it)`,
      }),
    original_bytes: z.number().int().optional().openapi({ description: "With truncated: the whole text's size in UTF-8 bytes" }),
  })
  .openapi("TextPart");

/** A client's text part must say something; stored replies are described by `TextPart`. */
const InputTextPart = z
  .object({ type: z.literal("text"), text: boundedString(MESSAGE_LIMITS.textBytes).pipe(z.string().min(1)) })
  .openapi("InputTextPart");

const ImagePart = z
  .object({
    type: z.literal("image"),
    url: boundedString(MESSAGE_LIMITS.imageUrlBytes)
      .pipe(z.url({ protocol: /^https?$/ }))
      .optional(),
    base64: boundedString(MESSAGE_LIMITS.imageBase64Bytes).pipe(z.base64()).optional(),
    media_type: z.enum(["image/png", "image/jpeg", "image/gif", "image/webp"]).optional(),
  })
  .refine((p) => (p.url === undefined) !== (p.base64 === undefined), { message: "Give exactly one of url or base64" })
  .refine((p) => p.base64 === undefined || p.media_type !== undefined, {
    message: "media_type is required with base64",
    path: ["media_type"],
  })
  .openapi("ImagePart");

const ToolCallPart = z
  .object({ type: z.literal("tool_call"), id: z.string(), name: z.string(), arguments: z.record(z.string(), z.unknown()) })
  .openapi("ToolCallPart");

const ToolResultPart = z
  .object({ type: z.literal("tool_result"), tool_call_id: z.string(), result: z.unknown().nullable(), error: z.string().nullable() })
  .openapi("ToolResultPart");

const ContentPartSchema = z.discriminatedUnion("type", [TextPart, ImagePart, ToolCallPart, ToolResultPart]).openapi("ContentPart");

const Controls = z.object({ model_id: idString("model").nullable().optional() }).openapi("MessageControls");

export const MessageSchema = z
  .object({
    id: z.string().openapi({ example: "message_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    session_id: z.string(),
    sequence: z.number().int().openapi({ description: "Sequence of this message's message.created event: subscribe from here" }),
    role: z.enum(["user", "agent", "tool_result"]),
    content: z.array(ContentPartSchema),
    controls: Controls.nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string(),
  })
  .openapi("Message");

/**
 * What a client sends: only user messages with text and image parts. `tags` are stored as
 * `metadata.tags`; sending both is a 400 naming `body.tags` rather than overwriting either.
 */
export const CreateMessageSchema = z
  .object({
    message: z.object({
      role: z.literal("user").openapi({ description: "Clients send user messages only" }),
      content: z
        .array(z.discriminatedUnion("type", [InputTextPart, ImagePart]))
        .min(1)
        .max(MESSAGE_LIMITS.parts),
    }),
    controls: Controls.optional(),
    metadata: freeFormObject({ maxBytes: MESSAGE_LIMITS.metadataBytes })
      .optional()
      .openapi({
        description: `Free-form; at most ${MESSAGE_LIMITS.metadataBytes} bytes as JSON, nested at most ${FREE_FORM_MAX_DEPTH} levels`,
      }),
    tags: TagsSchema.optional().openapi({ description: "Stored as metadata.tags; do not also send metadata.tags" }),
  })
  .superRefine((body, ctx) => {
    if (body.tags !== undefined && body.metadata !== undefined && Object.hasOwn(body.metadata, "tags")) {
      ctx.addIssue({ code: "custom", path: ["tags"], message: "Give tags either here or as metadata.tags, not both" });
    }
  })
  .openapi("CreateMessage");

export type ContentPart = z.infer<typeof ContentPartSchema>;
export type MessageControls = z.infer<typeof Controls>;
export type Message = z.infer<typeof MessageSchema>;

/** What a stored message holds; the session object's rows have this shape. */
export interface MessageFields {
  id: string;
  sequence: number;
  role: Message["role"];
  content: unknown[];
  controls: Record<string, unknown> | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
}

/** The one mapping from a stored message to the API object. */
export function toMessage(row: MessageFields, sessionId: string): Message {
  return {
    id: row.id,
    session_id: sessionId,
    sequence: row.sequence,
    role: row.role,
    content: row.content as ContentPart[],
    controls: (row.controls as Message["controls"]) ?? null,
    metadata: row.metadata ?? null,
    created_at: row.createdAt,
  };
}
