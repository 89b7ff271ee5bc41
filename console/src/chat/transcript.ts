import type { ContentPart, EventEnvelope, Message, Usage } from "../api/types";
import { type SessionLog, TERMINAL_TYPES } from "./session-log";

/** A tool call and, once it finished, its result. */
export interface ToolCallView {
  id: string;
  name: string;
  arguments: unknown;
  status: "running" | "success" | "error" | "stopped";
  result: unknown;
  error: string | null;
  /** For a call of a gated tool: waiting for a person, or how it was decided. */
  approval: ApprovalView | null;
}

/** A gated call's approval: `decision` and `decidedBy` are null while it waits. */
interface ApprovalView {
  decision: "allow" | "allow_always" | "reject" | "reject_always" | null;
  decidedBy: string | null;
  expiresAt: string | null;
}

type TurnPart =
  | { kind: "text"; messageId: string; text: string; state: "stored" | "streaming" | "stopped" }
  | { kind: "tool"; call: ToolCallView };

export interface TurnEnd {
  outcome: "completed" | "failed" | "cancelled";
  durationMs: number | null;
  iterations: number | null;
  usage: Usage | null;
  error: string | null;
  errorCode: string | null;
}

export interface TurnView {
  turnId: string;
  inputMessageId: string | null;
  parts: TurnPart[];
  end: TurnEnd | null;
  /** The turn's own stored events, for its timeline. */
  events: EventEnvelope[];
}

type TranscriptEntry = { kind: "user"; id: string; text: string; queued: boolean } | { kind: "turn"; turn: TurnView };

export interface Transcript {
  entries: TranscriptEntry[];
  running: TurnView | null;
}

function textOf(content: ContentPart[]): string {
  return content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n");
}

function numberOr(value: unknown): number | null {
  return typeof value === "number" ? value : null;
}

function turnEnd(event: EventEnvelope): TurnEnd {
  const d = event.data;
  return {
    outcome: event.type === "turn.completed" ? "completed" : event.type === "turn.failed" ? "failed" : "cancelled",
    durationMs: numberOr(d.duration_ms),
    iterations: numberOr(d.iterations),
    usage: typeof d.usage === "object" && d.usage !== null ? (d.usage as Usage) : null,
    error: typeof d.error === "string" ? d.error : null,
    errorCode: typeof d.error_code === "string" ? d.error_code : null,
  };
}

/** Adds one of a turn's stored events to its view. */
function addToTurn(turn: TurnView, event: EventEnvelope): void {
  turn.events.push(event);
  const d = event.data;
  if (event.type === "message.created") {
    const message = d.message as Message;
    const text = message.role === "agent" ? textOf(message.content) : "";
    if (text.length > 0) turn.parts.push({ kind: "text", messageId: message.id, text, state: "stored" });
  } else if (event.type === "tool.call") {
    const call = d.tool_call as { id: string; name: string; arguments: unknown };
    const approval = d.approval === "required" ? { decision: null, decidedBy: null, expiresAt: null } : null;
    turn.parts.push({
      kind: "tool",
      call: { id: call.id, name: call.name, arguments: call.arguments, status: "running", result: null, error: null, approval },
    });
  } else if (event.type === "tool.approval_requested" || event.type === "tool.approval_decided") {
    const id = event.type === "tool.approval_requested" ? (d.tool_call as { id: string }).id : d.tool_call_id;
    const part = turn.parts.find((p) => p.kind === "tool" && p.call.id === id);
    if (part?.kind === "tool" && part.call.approval) {
      part.call = {
        ...part.call,
        approval:
          event.type === "tool.approval_requested"
            ? { ...part.call.approval, expiresAt: typeof d.expires_at === "string" ? d.expires_at : null }
            : {
                ...part.call.approval,
                decision: d.decision as ApprovalView["decision"],
                decidedBy: typeof d.decided_by === "string" ? d.decided_by : null,
              },
      };
    }
  } else if (event.type === "tool.result") {
    const part = turn.parts.find((p) => p.kind === "tool" && p.call.id === d.tool_call_id);
    if (part?.kind === "tool") {
      part.call = {
        ...part.call,
        status: d.status === "success" ? "success" : "error",
        result: d.result ?? null,
        error: typeof d.error === "string" ? d.error : null,
      };
    }
  } else if (TERMINAL_TYPES.has(event.type)) {
    turn.end = turnEnd(event);
    for (const part of turn.parts)
      if (part.kind === "tool" && part.call.status === "running") part.call = { ...part.call, status: "stopped" };
  }
}

/**
 * The chat as the console shows it: each user message followed by the turn it started (agent text,
 * tool cards, the reply streaming now); a user message waiting behind a running turn is queued.
 */
export function buildTranscript(log: SessionLog): Transcript {
  const users: { id: string; text: string }[] = [];
  const turns = new Map<string, TurnView>();
  for (const event of log.events) {
    if (event.type === "message.created" && (event.data.message as Message).role === "user") {
      const message = event.data.message as Message;
      users.push({ id: message.id, text: textOf(message.content) });
      continue;
    }
    const turnId = event.context.turn_id;
    if (turnId === null) continue;
    let turn = turns.get(turnId);
    if (!turn) {
      turn = { turnId, inputMessageId: event.context.input_message_id, parts: [], end: null, events: [] };
      turns.set(turnId, turn);
    }
    addToTurn(turn, event);
  }
  for (const reply of Object.values(log.streaming)) {
    const turn = reply.turnId === null ? undefined : turns.get(reply.turnId);
    // A reply whose turn ended without storing it was cut off (cancelled or failed mid-reply).
    if (turn) turn.parts.push({ kind: "text", messageId: reply.messageId, text: reply.text, state: turn.end ? "stopped" : "streaming" });
  }
  const running = [...turns.values()].find((t) => t.end === null) ?? null;
  const byInput = new Map([...turns.values()].map((t) => [t.inputMessageId, t]));
  const entries: TranscriptEntry[] = [];
  for (const user of users) {
    const turn = byInput.get(user.id);
    entries.push({ kind: "user", id: user.id, text: user.text, queued: !turn && running !== null });
    if (turn) entries.push({ kind: "turn", turn });
    byInput.delete(user.id);
  }
  for (const turn of byInput.values()) entries.push({ kind: "turn", turn });
  return { entries, running };
}
