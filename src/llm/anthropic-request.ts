import type { LlmMessage, LlmRequest } from "./types";

type AnthropicBlock =
  | { type: "text"; text: string }
  | { type: "image"; source: { type: "url"; url: string } | { type: "base64"; media_type: string; data: string } }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> }
  | { type: "tool_result"; tool_use_id: string; content: string; is_error: boolean };

export interface AnthropicMessage {
  role: "user" | "assistant";
  content: AnthropicBlock[];
}

/** The Messages API request body for one streaming call. */
export function toAnthropicBody(request: LlmRequest, maxTokens: number): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: request.model,
    max_tokens: maxTokens,
    messages: toAnthropicMessages(request.messages),
    stream: true,
  };
  if (request.system.length > 0) body.system = request.system;
  if (request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.parameters }));
  }
  return body;
}

/**
 * Tool results are user-role blocks in Anthropic's format, and roles must alternate, so
 * consecutive messages of one role (several tool results, or tool results followed by a new
 * user message) are merged into one message, in order.
 */
export function toAnthropicMessages(messages: LlmMessage[]): AnthropicMessage[] {
  const out: AnthropicMessage[] = [];
  for (const message of messages) {
    const role = message.role === "assistant" ? "assistant" : "user";
    const blocks = toBlocks(message);
    // The API rejects empty messages (e.g. an assistant turn that said nothing).
    if (blocks.length === 0) continue;
    const previous = out.at(-1);
    if (previous && previous.role === role) previous.content.push(...blocks);
    else out.push({ role, content: blocks });
  }
  return out;
}

function toBlocks(message: LlmMessage): AnthropicBlock[] {
  switch (message.role) {
    case "user": {
      const blocks: AnthropicBlock[] = [];
      // Empty text blocks are rejected by the API.
      if (message.text.length > 0) blocks.push({ type: "text", text: message.text });
      for (const image of message.images ?? []) {
        blocks.push({
          type: "image",
          source: "url" in image ? { type: "url", url: image.url } : { type: "base64", media_type: image.mediaType, data: image.base64 },
        });
      }
      return blocks;
    }
    case "assistant": {
      const blocks: AnthropicBlock[] = [];
      if (message.text.length > 0) blocks.push({ type: "text", text: message.text });
      for (const call of message.toolCalls) blocks.push({ type: "tool_use", id: call.id, name: call.name, input: call.arguments });
      return blocks;
    }
    case "tool":
      return [{ type: "tool_result", tool_use_id: message.toolCallId, content: message.content, is_error: message.isError }];
  }
}
