import type { EventEnvelope } from "../session/rpc";

/** A tool call as the session's `tool.call` carries it. */
export interface TrackedCall {
  id: string;
  name: string;
  arguments: unknown;
}

/** A call the turn waits on: one the client runs, or one waiting for a person's approval (until `expiresAt`). */
export type WaitingCall = TrackedCall & ({ kind: "client" } | { kind: "approval"; expiresAt: string | null });

/**
 * What happens in a turn, in the order a client must see it: the steps the client protocols
 * (the AI SDK's UI message stream, AG-UI) are both projections of. A reply (one model call) is a
 * step; its text streams as one part; its tool calls and results follow.
 */
export type TurnOp =
  | { op: "start"; turnId: string }
  | { op: "step-start"; replyId: string }
  | { op: "step-end"; replyId: string }
  | { op: "text-start"; replyId: string }
  | { op: "text-delta"; replyId: string; delta: string }
  | { op: "text-end"; replyId: string }
  | { op: "tool-call"; replyId: string; call: TrackedCall; byClient: boolean }
  /** A gated call waits for a person's decision. */
  | { op: "approval-request"; call: TrackedCall; expiresAt: string | null }
  | { op: "approval-decided"; toolCallId: string; approved: boolean }
  | {
      op: "tool-result";
      eventId: string;
      toolCallId: string;
      status: "success" | "error";
      result: unknown;
      error: string | null;
      errorCode: string | null;
    }
  | { op: "end"; outcome: "completed" | "cancelled" }
  | { op: "end"; outcome: "failed"; error: string; errorCode: string }
  /** The turn waits for the client to run these calls, or for a person to decide them (it parked); it goes on when they are answered. */
  | { op: "end"; outcome: "waiting"; calls: WaitingCall[] }
  /** The events stopped before the turn ended (the session was deleted, or its object could not be reached). */
  | { op: "end"; outcome: "lost"; error: string; errorCode: string };

/** Which turn a stream shows: the one a user message starts, or a turn by id (a reconnect, a continuation after tool results). */
export type TurnSelector = { inputMessageId: string } | { turnId: string };

interface Reply {
  /** The reply's text sent so far (deltas may repeat it: a resumed stream starts with a snapshot). */
  sent: string;
  textOpen: boolean;
  /** The reply's tool call ids, known once the reply is stored. */
  calls: string[] | null;
}

/**
 * Follows one turn through the session's events and says what a client must see, once: a
 * delta, a resume snapshot and the stored message all extend the same text (what was sent is
 * never sent again); a turn that parks for its client or for an approval ends the stream once
 * every call of the reply has been announced.
 */
export class TurnTracker {
  #turnId: string | null;
  readonly #inputMessageId: string | null;
  #started = false;
  #stepOf: string | null = null;
  readonly #replies = new Map<string, Reply>();
  /** Calls of the current reply the turn waits on, every call announced, and gated calls whose approval request has not come yet. */
  readonly #waitingOn = new Map<string, WaitingCall>();
  readonly #announced = new Set<string>();
  readonly #requestDue = new Set<string>();
  /** Calls answered (or decided) before the stream began: a replay must not stop at a wait that is over. */
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

  /** The ops that open a stream continuing a known turn. */
  open(): TurnOp[] {
    return this.#start();
  }

  /** Ends a stream at once: calls of the turn still wait for the client or a person. */
  waiting(calls: WaitingCall[]): TurnOp[] {
    return [...this.#start(), ...this.#end({ op: "end", outcome: "waiting", calls })];
  }

  /** Ends a stream whose events stopped before the turn did. */
  lost(error: string, errorCode = "stream_lost"): TurnOp[] {
    if (this.#done) return [];
    return [...this.#start(), ...this.#end({ op: "end", outcome: "lost", error, errorCode })];
  }

  /** The ops an event of the session adds (none for another turn's). */
  push(event: EventEnvelope): TurnOp[] {
    if (this.#done || !this.#mine(event)) return [];
    const out: TurnOp[] = this.#start();
    switch (event.type) {
      case "message.delta":
        out.push(...this.#text(String(event.data["message_id"]), String(event.data["accumulated"] ?? "")));
        break;
      case "message.created": {
        const message = event.data["message"] as { id: string; role: string; content: { type: string; text?: string; id?: string }[] };
        if (message.role !== "agent") break;
        const text = message.content.flatMap((p) => (p.type === "text" && typeof p.text === "string" ? [p.text] : [])).join("");
        out.push(...(text.length > 0 ? this.#text(message.id, text) : this.#step(message.id)));
        const reply = this.#reply(message.id);
        if (reply.textOpen) {
          out.push({ op: "text-end", replyId: message.id });
          reply.textOpen = false;
        }
        reply.calls = message.content.flatMap((p) => (p.type === "tool_call" && typeof p.id === "string" ? [p.id] : []));
        break;
      }
      case "tool.call": {
        const call = event.data["tool_call"] as TrackedCall;
        const byClient = event.data["executor"] === "client";
        out.push({ op: "tool-call", replyId: this.#stepOf ?? "", call, byClient });
        this.#announced.add(call.id);
        if (byClient && !this.#answered.has(call.id)) this.#waitingOn.set(call.id, { ...call, kind: "client" });
        if (event.data["approval"] === "required" && !this.#answered.has(call.id)) this.#requestDue.add(call.id);
        out.push(...this.#endIfWaiting());
        break;
      }
      case "tool.approval_requested": {
        const call = event.data["tool_call"] as TrackedCall;
        const expiresAt = typeof event.data["expires_at"] === "string" ? event.data["expires_at"] : null;
        this.#requestDue.delete(call.id);
        out.push({ op: "approval-request", call, expiresAt });
        if (!this.#answered.has(call.id)) this.#waitingOn.set(call.id, { ...call, kind: "approval", expiresAt });
        out.push(...this.#endIfWaiting());
        break;
      }
      case "tool.approval_decided": {
        const id = String(event.data["tool_call_id"]);
        this.#waitingOn.delete(id);
        out.push({ op: "approval-decided", toolCallId: id, approved: String(event.data["decision"]).startsWith("allow") });
        break;
      }
      case "tool.result": {
        const id = String(event.data["tool_call_id"]);
        this.#waitingOn.delete(id);
        const status = event.data["status"] === "error" ? "error" : "success";
        const error = typeof event.data["error"] === "string" ? event.data["error"] : null;
        const errorCode = typeof event.data["error_code"] === "string" ? event.data["error_code"] : null;
        out.push({ op: "tool-result", eventId: event.id, toolCallId: id, status, result: event.data["result"] ?? null, error, errorCode });
        break;
      }
      case "turn.completed":
        out.push(...this.#end({ op: "end", outcome: "completed" }));
        break;
      case "turn.failed":
        out.push(
          ...this.#end({
            op: "end",
            outcome: "failed",
            error: String(event.data["error"] ?? "The turn failed"),
            errorCode: String(event.data["error_code"] ?? "internal_error"),
          }),
        );
        break;
      case "turn.cancelled":
        out.push(...this.#end({ op: "end", outcome: "cancelled" }));
        break;
      default:
        break;
    }
    return out;
  }

  #mine(event: EventEnvelope): boolean {
    if (this.#turnId === null) {
      if (event.type !== "turn.started" || event.data["input_message_id"] !== this.#inputMessageId) return false;
      this.#turnId = String(event.data["turn_id"]);
      return true;
    }
    return event.context.turn_id === this.#turnId;
  }

  #start(): TurnOp[] {
    if (this.#started || this.#turnId === null) return [];
    this.#started = true;
    return [{ op: "start", turnId: this.#turnId }];
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
  #step(replyId: string): TurnOp[] {
    if (this.#stepOf === replyId) return [];
    const out: TurnOp[] = this.#stepOf === null ? [] : [{ op: "step-end", replyId: this.#stepOf }];
    this.#stepOf = replyId;
    out.push({ op: "step-start", replyId });
    return out;
  }

  /** Extends a reply's text to `text`. */
  #text(replyId: string, text: string): TurnOp[] {
    const reply = this.#reply(replyId);
    if (!text.startsWith(reply.sent) || text.length === reply.sent.length) return [];
    const out = this.#step(replyId);
    if (!reply.textOpen && reply.sent.length === 0) {
      out.push({ op: "text-start", replyId });
      reply.textOpen = true;
    }
    if (!reply.textOpen) return out; // closed by the stored message: nothing extends it
    out.push({ op: "text-delta", replyId, delta: text.slice(reply.sent.length) });
    reply.sent = text;
    return out;
  }

  /**
   * Once every call of the current reply has been announced (a gated one with its approval
   * request) and some wait for the client or a person, the stream ends for them to answer.
   */
  #endIfWaiting(): TurnOp[] {
    const calls = this.#stepOf === null ? null : this.#replies.get(this.#stepOf)?.calls;
    if (!calls || this.#waitingOn.size === 0 || this.#requestDue.size > 0 || !calls.every((id) => this.#announced.has(id))) return [];
    return this.#end({ op: "end", outcome: "waiting", calls: [...this.#waitingOn.values()] });
  }

  #end(end: Extract<TurnOp, { op: "end" }>): TurnOp[] {
    this.#done = true;
    const out: TurnOp[] = [];
    for (const [replyId, reply] of this.#replies) {
      if (!reply.textOpen) continue;
      out.push({ op: "text-end", replyId });
      reply.textOpen = false;
    }
    if (this.#stepOf !== null) out.push({ op: "step-end", replyId: this.#stepOf });
    this.#stepOf = null;
    out.push(end);
    return out;
  }
}
