import type { LlmImage, LlmMessage, LlmToolCall } from "../llm/types";
import type { ContentPart } from "../schemas/messages";
import type { MessageRow } from "../services/messages";

/** What a tool call that never got a result (its turn was cancelled or interrupted) is answered with. */
const UNANSWERED_TOOL_CALL = "No result: the turn that called this tool ended before it finished.";

/**
 * Turns stored messages into the model's conversation. User messages still waiting in the queue
 * are left out (they get their own turn); a tool call without a stored result gets a synthetic
 * error result so providers that require one per call accept the history.
 */
export function toConversation(rows: MessageRow[], queuedMessageIds: ReadonlySet<string>): LlmMessage[] {
  const out: LlmMessage[] = [];
  const answered = new Set<string>();
  for (const row of rows) {
    for (const part of row.content as ContentPart[]) {
      if (part.type === "tool_result") answered.add(part.tool_call_id);
    }
  }
  for (const row of rows) {
    const parts = row.content as ContentPart[];
    if (row.role === "user") {
      if (queuedMessageIds.has(row.id)) continue;
      const text = parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n");
      const images = parts.flatMap((p): LlmImage[] => {
        if (p.type !== "image") return [];
        if (p.url) return [{ url: p.url }];
        if (p.base64 && p.media_type) return [{ base64: p.base64, mediaType: p.media_type }];
        return [];
      });
      out.push(images.length > 0 ? { role: "user", text, images } : { role: "user", text });
    } else if (row.role === "agent") {
      const text = parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");
      const toolCalls: LlmToolCall[] = parts.flatMap((p) => (p.type === "tool_call" ? [{ id: p.id, name: p.name, arguments: p.arguments }] : []));
      out.push({ role: "assistant", text, toolCalls });
      for (const call of toolCalls) {
        if (!answered.has(call.id)) out.push({ role: "tool", toolCallId: call.id, name: call.name, content: UNANSWERED_TOOL_CALL, isError: true });
      }
    } else {
      for (const part of parts) {
        if (part.type !== "tool_result") continue;
        const content = part.error ?? JSON.stringify(part.result ?? null);
        out.push({ role: "tool", toolCallId: part.tool_call_id, name: String((row.metadata ?? {}).tool_name ?? ""), content, isError: part.error !== null });
      }
    }
  }
  return out;
}
