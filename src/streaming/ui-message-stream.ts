import type { EventEnvelope } from "../session/rpc";

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
  | { type: "finish"; finishReason: "stop" | "tool-calls" | "error" }
  | { type: "error"; errorText: string }
  | { type: "abort"; reason: string };

/** Which turn a stream shows: the one a user message starts, or a turn by id (a reconnect, a continuation after tool outputs). */
export type TurnSelector = { inputMessageId: string } | { turnId: string };

interface Reply {
  /** The reply's text sent so far (deltas may repeat it: a resumed stream starts with a snapshot). */
  sent: string;
  textOpen: boolean;
  /** Tool calls of the reply (known once it is stored), and those whose tool.call has been seen. */
  calls: string[] | null;
}

/**
 * Projects one turn's session events onto UI message stream chunks. The assistant UI message is
 * the turn (its id is the turn id); each model reply is a step; text parts are the replies (their
 * id is the reply's message id), so a delta, a resume snapshot and the stored message all extend
 * the same part. The stream ends at the turn's end (`finish`, `error` or `abort`), or with
 * `finish` (`tool-calls`) once a reply's calls all wait for the client: it answers with its
 * next POST.
 */
export class UiMessageProjection {
  #turnId: string | null;
  readonly #inputMessageId: string | null;
  #started = false;
  #stepOf: string | null = null;
  readonly #replies = new Map<string, Reply>();
  /** Client-side calls of the current reply that have no result yet, and the calls of it seen so far. */
  readonly #waitingOn = new Set<string>();
  readonly #seen = new Set<string>();
  /** Calls answered before the stream began (a replay must not stop at a wait that is over). */
  readonly #answered: ReadonlySet<string>;
  #done = false;

  constructor(selector: TurnSelector, answered: ReadonlySet<string> = new Set()) {
    this.#turnId = "turnId" in selector ? selector.turnId : null;
    this.#inputMessageId = "inputMessageId" in selector ? selector.inputMessageId : null;
    this.#answered = answered;
  }

  get done(): boolean {
    return this.#done;
  }

  get turnId(): string | null {
    return this.#turnId;
  }

  /** The chunks that open a stream continuing a known turn (after the client answered its tool calls). */
  open(): UiChunk[] {
    return this.#start();
  }

  /** Ends a continuation at once: some calls of the turn still wait for the client. */
  waiting(): UiChunk[] {
    return [...this.#start(), ...this.#finish({ type: "finish", finishReason: "tool-calls" })];
  }

  /** The chunks an event of the session adds (none for another turn's). */
  push(event: EventEnvelope): UiChunk[] {
    if (this.#done || !this.#mine(event)) return [];
    const out: UiChunk[] = [...this.#start()];
    switch (event.type) {
      case "message.delta": {
        const id = String(event.data["message_id"]);
        out.push(...this.#text(id, String(event.data["accumulated"] ?? "")));
        break;
      }
      case "message.created": {
        const message = event.data["message"] as { id: string; role: string; content: { type: string; text?: string; id?: string }[] };
        if (message.role !== "agent") break;
        const text = message.content.flatMap((p) => (p.type === "text" && typeof p.text === "string" ? [p.text] : [])).join("");
        const calls = message.content.flatMap((p) => (p.type === "tool_call" && typeof p.id === "string" ? [p.id] : []));
        if (text.length > 0) out.push(...this.#text(message.id, text));
        else out.push(...this.#step(message.id));
        const reply = this.#reply(message.id);
        if (reply.textOpen) {
          out.push({ type: "text-end", id: message.id });
          reply.textOpen = false;
        }
        reply.calls = calls;
        break;
      }
      case "tool.call": {
        const call = event.data["tool_call"] as { id: string; name: string; arguments: unknown };
        out.push({ type: "tool-input-available", toolCallId: call.id, toolName: call.name, input: call.arguments });
        if (event.data["executor"] === "client" && !this.#answered.has(call.id)) this.#waitingOn.add(call.id);
        out.push(...this.#endIfWaiting(call.id));
        break;
      }
      case "tool.result": {
        const id = String(event.data["tool_call_id"]);
        this.#waitingOn.delete(id);
        if (event.data["status"] === "error") out.push({ type: "tool-output-error", toolCallId: id, errorText: String(event.data["error"] ?? "The tool failed") });
        else out.push({ type: "tool-output-available", toolCallId: id, output: event.data["result"] ?? null });
        break;
      }
      case "turn.completed":
        out.push(...this.#finish({ type: "finish", finishReason: "stop" }));
        break;
      case "turn.failed":
        out.push(...this.#finish({ type: "error", errorText: String(event.data["error"] ?? "The turn failed") }, { type: "finish", finishReason: "error" }));
        break;
      case "turn.cancelled":
        out.push(...this.#finish({ type: "abort", reason: "cancelled" }));
        break;
      default:
        break;
    }
    return out;
  }

  /** How a stream ends when its events stop before the turn did (the session was deleted, or the object could not be reached). */
  interrupt(errorText: string): UiChunk[] {
    if (this.#done) return [];
    return [...this.#start(), ...this.#finish({ type: "error", errorText }, { type: "finish", finishReason: "error" })];
  }

  #mine(event: EventEnvelope): boolean {
    if (this.#turnId === null) {
      if (event.type !== "turn.started" || event.data["input_message_id"] !== this.#inputMessageId) return false;
      this.#turnId = String(event.data["turn_id"]);
      return true;
    }
    return event.context.turn_id === this.#turnId;
  }

  #start(): UiChunk[] {
    if (this.#started || this.#turnId === null) return [];
    this.#started = true;
    return [{ type: "start", messageId: this.#turnId }];
  }

  #reply(id: string): Reply {
    let reply = this.#replies.get(id);
    if (!reply) {
      reply = { sent: "", textOpen: false, calls: null };
      this.#replies.set(id, reply);
    }
    return reply;
  }

  /** A reply's first content opens its step (closing the previous reply's). */
  #step(replyId: string): UiChunk[] {
    if (this.#stepOf === replyId) return [];
    const out: UiChunk[] = this.#stepOf === null ? [] : [{ type: "finish-step" }];
    this.#stepOf = replyId;
    out.push({ type: "start-step" });
    return out;
  }

  /** Extends a reply's text part to `text` (what was sent already is not sent again). */
  #text(replyId: string, text: string): UiChunk[] {
    const reply = this.#reply(replyId);
    if (!text.startsWith(reply.sent) || text.length === reply.sent.length) return [];
    const out = this.#step(replyId);
    if (!reply.textOpen && reply.sent.length === 0) {
      out.push({ type: "text-start", id: replyId });
      reply.textOpen = true;
    }
    if (!reply.textOpen) return out; // the part was closed by the stored message: nothing can extend it
    out.push({ type: "text-delta", id: replyId, delta: text.slice(reply.sent.length) });
    reply.sent = text;
    return out;
  }

  /** Once every call of the current reply has been seen and some wait for the client, the stream ends for it to answer. */
  #endIfWaiting(callId: string): UiChunk[] {
    const reply = this.#stepOf === null ? undefined : this.#replies.get(this.#stepOf);
    if (!reply?.calls?.includes(callId)) return [];
    this.#seen.add(callId);
    if (this.#waitingOn.size === 0 || !reply.calls.every((id) => this.#seen.has(id))) return [];
    return this.#finish({ type: "finish", finishReason: "tool-calls" });
  }

  #finish(...last: UiChunk[]): UiChunk[] {
    this.#done = true;
    const out: UiChunk[] = [];
    for (const [id, reply] of this.#replies) {
      if (reply.textOpen) {
        out.push({ type: "text-end", id });
        reply.textOpen = false;
      }
    }
    if (this.#stepOf !== null) out.push({ type: "finish-step" });
    this.#stepOf = null;
    return [...out, ...last];
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
