import type { EventEnvelope, Message, Usage } from "../api/types";
import { TERMINAL_TYPES } from "../chat/session-log";

/** One bar of a turn's waterfall, in milliseconds from the turn's start. */
export interface Span {
  kind: "model" | "tool";
  /** The tool call's id, or `model-<n>`. */
  key: string;
  label: string;
  start: number;
  end: number;
  /** Model calls: when the first text arrived, if it was seen live. */
  firstToken: number | null;
  status: "done" | "running" | "error" | "stopped";
}

export interface TurnTimeline {
  spans: Span[];
  /** Wall time from turn.started to its end (or to now while it runs). */
  totalMs: number;
  /** The turn's duration as the server measured it (its terminal event's duration_ms). */
  durationMs: number | null;
  /** From the turn's start to its first streamed text, when that was seen live. */
  firstTokenMs: number | null;
  usage: Usage | null;
  iterations: number | null;
  running: boolean;
}

const time = (ts: string): number => Date.parse(ts);

/**
 * Derives a turn's waterfall from its stored events (all `ts` are the server's clock) and the
 * first-delta times seen live. A model call runs from the turn's start, or from the last tool
 * result it waits for, to the agent message it produced; each tool call from its tool.call to its
 * tool.result. Anything still open ends at the terminal event, or at `now` while the turn runs.
 */
export function buildTimeline(
  events: EventEnvelope[],
  firstTokenAt: Record<string, string>,
  now: number,
  /** The reply streaming now (or cut off), whose model call has no stored message yet. */
  openReplyId: string | null = null,
): TurnTimeline | null {
  const started = events.find((e) => e.type === "turn.started");
  if (!started) return null;
  const t0 = time(started.ts);
  const terminal = events.find((e) => TERMINAL_TYPES.has(e.type)) ?? null;
  const endAt = terminal ? time(terminal.ts) : Math.max(now, t0);
  const spans: Span[] = [];
  const openTools = new Map<string, Span>();
  let modelStart: number | null = 0;
  let modelCalls = 0;
  for (const event of events) {
    const at = time(event.ts) - t0;
    if (event.type === "message.created") {
      const message = event.data.message as Message;
      if (message.role === "agent" && modelStart !== null) {
        modelCalls += 1;
        const first = firstTokenAt[message.id];
        spans.push({
          kind: "model",
          key: `model-${modelCalls}`,
          label: `model call ${modelCalls}`,
          start: modelStart,
          end: at,
          firstToken: first ? time(first) - t0 : null,
          status: "done",
        });
        modelStart = null;
      } else if (message.role === "tool_result") {
        // The next model call waits for the last of the tool results.
        modelStart = at;
      }
    } else if (event.type === "tool.call") {
      const call = event.data.tool_call as { id: string; name: string };
      const span: Span = { kind: "tool", key: call.id, label: call.name, start: at, end: at, firstToken: null, status: "running" };
      openTools.set(call.id, span);
      spans.push(span);
    } else if (event.type === "tool.result") {
      const span = openTools.get(String(event.data.tool_call_id));
      if (span) {
        span.end = at;
        span.status = event.data.status === "success" ? "done" : "error";
        openTools.delete(String(event.data.tool_call_id));
      }
    }
  }
  const openEnd = endAt - t0;
  const openStatus = terminal ? "stopped" : "running";
  if (modelStart !== null) {
    const first = openReplyId === null ? undefined : firstTokenAt[openReplyId];
    spans.push({
      kind: "model",
      key: `model-${modelCalls + 1}`,
      label: `model call ${modelCalls + 1}`,
      start: modelStart,
      end: openEnd,
      firstToken: first ? time(first) - t0 : null,
      status: openStatus,
    });
  }
  for (const span of openTools.values()) {
    span.end = openEnd;
    span.status = openStatus;
  }
  const firstTokens = spans.flatMap((s) => (s.firstToken === null ? [] : [s.firstToken]));
  return {
    spans,
    totalMs: openEnd,
    durationMs: terminal && typeof terminal.data.duration_ms === "number" ? terminal.data.duration_ms : null,
    firstTokenMs: firstTokens.length > 0 ? Math.min(...firstTokens) : null,
    usage: terminal && typeof terminal.data.usage === "object" && terminal.data.usage !== null ? (terminal.data.usage as Usage) : null,
    iterations: terminal && typeof terminal.data.iterations === "number" ? terminal.data.iterations : null,
    running: terminal === null,
  };
}
