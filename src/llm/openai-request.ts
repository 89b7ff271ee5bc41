import type { LlmImage, LlmMessage, LlmRequest } from "./types";

type OpenAiContentPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

type OpenAiMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string | OpenAiContentPart[] }
  | {
      role: "assistant";
      content: string | null;
      tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[];
    }
  | { role: "tool"; tool_call_id: string; content: string };

/** The Chat Completions request body for one streaming call. */
export function toOpenAiBody(request: LlmRequest): Record<string, unknown> {
  const messages: OpenAiMessage[] = [];
  if (request.system.length > 0) messages.push({ role: "system", content: request.system });
  for (const message of request.messages) messages.push(toOpenAiMessage(message));
  const body: Record<string, unknown> = {
    model: request.model,
    messages,
    stream: true,
    // Without this the stream carries no token counts.
    stream_options: { include_usage: true },
  };
  // OpenAI rejects an empty `tools` array, so it is left out when the agent has none.
  if (request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: "function",
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
  }
  return body;
}

function toOpenAiMessage(message: LlmMessage): OpenAiMessage {
  switch (message.role) {
    case "user": {
      if (!message.images || message.images.length === 0) return { role: "user", content: message.text };
      const parts: OpenAiContentPart[] = [];
      if (message.text.length > 0) parts.push({ type: "text", text: message.text });
      for (const image of message.images) parts.push({ type: "image_url", image_url: { url: imageUrl(image) } });
      return { role: "user", content: parts };
    }
    case "assistant": {
      // `content` may be null only beside tool_calls: an empty reply with neither is a 400, so it is "".
      const content = message.text.length > 0 ? message.text : message.toolCalls.length > 0 ? null : "";
      const out: OpenAiMessage = { role: "assistant", content };
      if (message.toolCalls.length > 0) {
        out.tool_calls = message.toolCalls.map((call) => ({
          id: call.id,
          type: "function",
          function: { name: call.name, arguments: JSON.stringify(call.arguments) },
        }));
      }
      return out;
    }
    case "tool":
      // Chat Completions has no error flag on tool messages; the prefix tells the model.
      return { role: "tool", tool_call_id: message.toolCallId, content: message.isError ? `Error: ${message.content}` : message.content };
  }
}

/** Inline images travel as data URLs. */
function imageUrl(image: LlmImage): string {
  return "url" in image ? image.url : `data:${image.mediaType};base64,${image.base64}`;
}
