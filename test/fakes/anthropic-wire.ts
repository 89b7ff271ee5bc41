import { FAKE_USAGE, type FakeReply, type Frame, isObject, type JsonObject, lastUserTextOf, sse, type WireFormat } from "./wire";

/** Anthropic Messages streaming, as api.anthropic.com sends it (named events, content blocks). */
export const anthropicWire: WireFormat = {
  render(reply: FakeReply, request: JsonObject): Frame[] {
    const model = typeof request.model === "string" ? request.model : "fake";
    const event = (type: string, body: JsonObject, tag: Frame["tag"] = "other"): Frame => ({
      tag,
      data: sse(JSON.stringify({ type, ...body }), type),
    });
    const frames: Frame[] = [
      event(
        "message_start",
        {
          message: {
            id: "msg_fake",
            type: "message",
            role: "assistant",
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: reply.partialUsage ? { input_tokens: FAKE_USAGE.input } : { input_tokens: FAKE_USAGE.input, output_tokens: 1 },
          },
        },
        "head",
      ),
      event("ping", {}),
    ];
    let index = 0;
    if (reply.text.length > 0) {
      frames.push(event("content_block_start", { index, content_block: { type: "text", text: "" } }));
      for (const text of reply.text) frames.push(event("content_block_delta", { index, delta: { type: "text_delta", text } }, "text"));
      frames.push(event("content_block_stop", { index }));
      index += 1;
    }
    for (const call of reply.calls) {
      frames.push(event("content_block_start", { index, content_block: { type: "tool_use", id: call.id, name: call.name, input: {} } }));
      // The real API opens with an empty fragment too.
      for (const partial_json of ["", ...call.fragments])
        frames.push(event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json } }));
      frames.push(event("content_block_stop", { index }));
      index += 1;
    }
    frames.push(
      event("message_delta", {
        delta: { stop_reason: reply.calls.length > 0 ? "tool_use" : "end_turn", stop_sequence: null },
        usage: reply.partialUsage ? {} : { output_tokens: FAKE_USAGE.output },
      }),
    );
    frames.push(event("message_stop", {}, "terminal"));
    return frames;
  },

  streamErrorFrame() {
    return sse(JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }), "error");
  },

  contextTooLong(window, tokens) {
    return { type: "error", error: { type: "invalid_request_error", message: `prompt is too long: ${tokens} tokens > ${window} maximum` } };
  },

  errorBody(status) {
    const type =
      status === 401
        ? "authentication_error"
        : status === 403
          ? "permission_error"
          : status === 429
            ? "rate_limit_error"
            : status === 529
              ? "overloaded_error"
              : status >= 500
                ? "api_error"
                : "invalid_request_error";
    return { type: "error", error: { type, message: `Fake error ${status}.` } };
  },

  lastUserText(request) {
    return lastUserTextOf(request.messages);
  },

  toolResults(request) {
    const messages = Array.isArray(request.messages) ? request.messages : [];
    const results: string[] = [];
    for (const message of messages) {
      if (!isObject(message) || !Array.isArray(message.content)) continue;
      for (const block of message.content) {
        if (isObject(block) && block.type === "tool_result")
          results.push(typeof block.content === "string" ? block.content : JSON.stringify(block.content));
      }
    }
    return results;
  },

  authenticated(headers) {
    const key = headers["x-api-key"];
    return typeof key === "string" && key.length > 0 && typeof headers["anthropic-version"] === "string";
  },
};
