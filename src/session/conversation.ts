import type { LlmImage, LlmMessage, LlmToolCall } from "../llm/types";
import type { ContentPart } from "../schemas/messages";
import type { MessageRow } from "./message-store";

/** What a tool call that never got a result (its turn was cancelled or interrupted) is answered with. */
const UNANSWERED_TOOL_CALL = "No result: the turn that called this tool ended before it finished.";

/** One turn as the model sees it: its input and what the agent produced for it, in sequence order. */
interface TurnRows {
  input: MessageRow | null;
  output: MessageRow[];
}

/**
 * Turns stored messages into the model's conversation: each turn's user message followed by what
 * that turn produced. Rows are in sequence order, but a message posted while a turn runs gets a
 * sequence in the middle of that turn (between an agent's tool calls and their results, say), and
 * sent in that order the history is one providers reject. So rows are grouped by turn first.
 *
 * User messages still waiting in the queue are left out (they get their own turn). Every
 * assistant message with tool calls is followed directly by one result per call: a call without a
 * stored result gets a synthetic error result, and a result that answers no open call is dropped.
 */
export function toConversation(rows: MessageRow[], queuedMessageIds: ReadonlySet<string>): LlmMessage[] {
  return toTurns(rows, queuedMessageIds).flatMap((turn) => turn.messages);
}

/** One turn of the conversation: its input's id (null for rows older than any input), its messages, and how many stored messages they come from. */
export interface ConversationTurn {
  inputId: string | null;
  messages: LlmMessage[];
  rows: number;
}

/** The conversation turn by turn (what `toConversation` flattens), so a prompt can leave whole turns out. */
export function toTurns(rows: MessageRow[], queuedMessageIds: ReadonlySet<string>): ConversationTurn[] {
  return groupByTurn(rows).map((turn) => {
    const messages: LlmMessage[] = [];
    const queued = turn.input !== null && queuedMessageIds.has(turn.input.id);
    if (turn.input && !queued) messages.push(toUserMessage(turn.input));
    appendOutput(messages, turn.output);
    return { inputId: turn.input?.id ?? null, messages, rows: turn.output.length + (turn.input && !queued ? 1 : 0) };
  });
}

/**
 * The rows of the whole turns among the newest messages of a session (oldest first): a read that
 * stopped before the start of the history may begin inside a turn, or hold rows of a turn whose
 * input it never reached (a message posted mid-turn is stored among that turn's rows); those go.
 */
export function wholeTurns(rows: MessageRow[]): MessageRow[] {
  const first = rows.findIndex((row) => row.role === "user");
  if (first < 0) return [];
  const inputs = new Set(rows.filter((row) => row.role === "user").map((row) => row.id));
  return rows.slice(first).filter((row) => {
    const inputId = row.metadata?.input_message_id;
    return row.role === "user" || typeof inputId !== "string" || inputs.has(inputId);
  });
}

/**
 * Assigns each agent and tool_result row to the turn that produced it. Rows written by the turn
 * runner name their turn's input (`metadata.input_message_id`). Older rows do not: a tool result
 * goes with the agent message that made its call, and an agent message continues the turn that
 * is waiting on tool results, else it starts the turn of the latest user message before it.
 */
function groupByTurn(rows: MessageRow[]): TurnRows[] {
  const turns: TurnRows[] = [];
  const byInput = new Map<string, TurnRows>();
  const byCall = new Map<string, TurnRows>();
  let current: TurnRows | null = null;
  for (const row of rows) {
    if (row.role === "user") {
      const turn = { input: row, output: [] };
      turns.push(turn);
      byInput.set(row.id, turn);
      continue;
    }
    const parts = row.content as ContentPart[];
    const inputId = row.metadata?.input_message_id;
    let owner = typeof inputId === "string" ? byInput.get(inputId) : undefined;
    if (!owner && row.role === "tool_result") {
      const callId = parts.find((p) => p.type === "tool_result")?.tool_call_id;
      owner = callId === undefined ? undefined : byCall.get(callId);
    }
    if (!owner && current && current.output.at(-1)?.role === "tool_result") owner = current;
    if (!owner) owner = turns.at(-1);
    if (!owner) {
      owner = { input: null, output: [] };
      turns.push(owner);
    }
    owner.output.push(row);
    current = owner;
    for (const part of parts) if (part.type === "tool_call") byCall.set(part.id, owner);
  }
  return turns;
}

function toUserMessage(row: MessageRow): LlmMessage {
  const parts = row.content as ContentPart[];
  const text = parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n");
  const images = parts.flatMap((p): LlmImage[] => {
    if (p.type !== "image") return [];
    if (p.url) return [{ url: p.url }];
    if (p.base64 && p.media_type) return [{ base64: p.base64, mediaType: p.media_type }];
    return [];
  });
  return images.length > 0 ? { role: "user", text, images } : { role: "user", text };
}

/** An assistant message's tool calls and which of them have a result so far. */
interface OpenChain {
  calls: LlmToolCall[];
  answered: Set<string>;
}

/** Adds one turn's output, closing every tool chain before the next assistant message and at the end. */
function appendOutput(out: LlmMessage[], rows: MessageRow[]): void {
  let open: OpenChain | null = null;
  const close = () => {
    for (const call of open?.calls ?? []) {
      if (!open?.answered.has(call.id))
        out.push({ role: "tool", toolCallId: call.id, name: call.name, content: UNANSWERED_TOOL_CALL, isError: true });
    }
    open = null;
  };
  for (const row of rows) {
    const parts = row.content as ContentPart[];
    if (row.role === "agent") {
      close();
      const text = parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");
      const toolCalls: LlmToolCall[] = parts.flatMap((p) =>
        p.type === "tool_call" ? [{ id: p.id, name: p.name, arguments: p.arguments }] : [],
      );
      out.push({ role: "assistant", text, toolCalls });
      if (toolCalls.length > 0) open = { calls: toolCalls, answered: new Set() };
      continue;
    }
    for (const part of parts) {
      if (part.type !== "tool_result") continue;
      const chain: OpenChain | null = open;
      const call = chain?.calls.find((c) => c.id === part.tool_call_id);
      // Providers reject a tool message that does not answer a call of the assistant message before it.
      if (!chain || !call || chain.answered.has(call.id)) continue;
      chain.answered.add(call.id);
      const content = part.error ?? JSON.stringify(part.result ?? null);
      out.push({ role: "tool", toolCallId: call.id, name: call.name, content, isError: part.error !== null });
    }
  }
  close();
}
