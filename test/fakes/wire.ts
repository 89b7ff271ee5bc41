/** What the fake LLM server's two wire formats share: a reply to render and the frames it becomes. */

/** A tool call as the fake sends it: arguments as JSON text fragments, sent in order. */
export interface FakeToolCall {
  id: string;
  name: string;
  fragments: string[];
}

/** One model reply: text deltas, then tool calls. */
export interface FakeReply {
  text: string[];
  calls: FakeToolCall[];
  /** Report only the prompt side of usage, as some compatible servers do. */
  partialUsage?: boolean;
}

/**
 * A rendered SSE frame. The tag lets scenarios cut a stream at a meaningful place:
 * "text" frames carry one text delta, "terminal" is [DONE] or message_stop.
 */
export interface Frame {
  tag: "head" | "text" | "other" | "terminal";
  data: string;
}

export type JsonObject = Record<string, unknown>;

/** One provider's wire format. */
export interface WireFormat {
  /** The reply as the provider would stream it, ending with its terminal frame. */
  render(reply: FakeReply, request: JsonObject): Frame[];
  /** An error reported inside an already-open 200 stream. */
  streamErrorFrame(): string;
  /** The 400 body the provider answers a prompt longer than its context window with. */
  contextTooLong(window: number, tokens: number): JsonObject;
  /** The JSON body of an HTTP error response. */
  errorBody(status: number): JsonObject;
  /** The text of the request's last user message ("" when there is none). */
  lastUserText(request: JsonObject): string;
  /** The contents of the tool results in the request, in order. */
  toolResults(request: JsonObject): string[];
  /** Whether the request carries what the real API requires to authenticate. */
  authenticated(headers: Record<string, string | string[] | undefined>): boolean;
}

/** Fixed usage numbers, so tests can assert them exactly. */
export const FAKE_USAGE = { input: 11, output: 7 } as const;

/** Formats one SSE frame; `event` is omitted for OpenAI, which sends bare `data:` lines. */
export function sse(data: string, event?: string): string {
  return `${event ? `event: ${event}\n` : ""}data: ${data}\n\n`;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The text of the last user message: a string, or the text blocks of a content array. */
export function lastUserTextOf(messages: unknown): string {
  const list = Array.isArray(messages) ? messages : [];
  for (let i = list.length - 1; i >= 0; i -= 1) {
    const m: unknown = list[i];
    if (!isObject(m) || m.role !== "user") continue;
    if (typeof m.content === "string") return m.content;
    if (!Array.isArray(m.content)) return "";
    const texts = m.content.flatMap((b: unknown) => (isObject(b) && b.type === "text" && typeof b.text === "string" ? [b.text] : []));
    if (texts.length > 0) return texts.join("\n");
  }
  return "";
}
