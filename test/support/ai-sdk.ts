import { exports } from "cloudflare:workers";
import { DefaultChatTransport, readUIMessageStream, type UIMessage, type UIMessageChunk, uiMessageChunkSchema } from "ai";
import { expect } from "vitest";
import type { Caller } from "./requests";

/**
 * The AI SDK's stock transport against the Worker under test: only `api`, the caller's headers
 * and a `fetch` that hands the request to the Worker in this process.
 */
export function chatTransport(caller: Caller): DefaultChatTransport<UIMessage> {
  return new DefaultChatTransport<UIMessage>({
    api: "http://api.test/v1/chat",
    headers: caller.headers,
    fetch: (input, init) => exports.default.fetch(new Request(input, init)),
  });
}

/** A user UIMessage with one text part. */
export function userMessage(text: string, id: string = crypto.randomUUID()): UIMessage {
  return { id, role: "user", parts: [{ type: "text", text }] };
}

/** Reads a chunk stream to its end, checking every chunk against the `ai` package's own chunk schema. */
export async function readChunks(stream: ReadableStream<UIMessageChunk>): Promise<UIMessageChunk[]> {
  const chunks: UIMessageChunk[] = [];
  const validate = uiMessageChunkSchema().validate;
  for await (const chunk of stream) {
    const checked = await validate?.(chunk);
    expect(checked?.success, JSON.stringify(chunk)).toBe(true);
    if (checked?.success) expect(checked.value, "the schema keeps every field as sent").toEqual(chunk);
    chunks.push(chunk);
  }
  return chunks;
}

/** The assistant message `readUIMessageStream` rebuilds from `chunks` (continuing `message`, if given). */
export async function rebuild(chunks: UIMessageChunk[], message?: UIMessage): Promise<UIMessage> {
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  let last: UIMessage | undefined;
  for await (const snapshot of readUIMessageStream({ stream, ...(message ? { message } : {}), terminateOnError: true })) last = snapshot;
  if (!last) throw new Error("the stream rebuilt no message");
  return last;
}

/** The text of a UIMessage's text parts. */
export function textOf(message: UIMessage): string {
  return message.parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");
}

/** The text the text-delta chunks of a stream add up to. */
export function deltaText(chunks: UIMessageChunk[]): string {
  return chunks.flatMap((c) => (c.type === "text-delta" ? [c.delta] : [])).join("");
}
