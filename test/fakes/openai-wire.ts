import { FAKE_USAGE, type FakeReply, type Frame, isObject, type JsonObject, lastUserTextOf, sse, type WireFormat } from "./wire";

/** OpenAI Chat Completions streaming, as api.openai.com sends it. */
export const openAiWire: WireFormat = {
  render(reply: FakeReply, request: JsonObject): Frame[] {
    const model = typeof request.model === "string" ? request.model : "fake";
    const chunk = (choices: unknown[], extra: JsonObject = {}) =>
      sse(JSON.stringify({ id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1700000000, model, choices, ...extra }));
    const delta = (d: JsonObject, finish: string | null = null) => chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);

    const frames: Frame[] = [{ tag: "head", data: delta({ role: "assistant", content: "", refusal: null }) }];
    for (const text of reply.text) frames.push({ tag: "text", data: delta({ content: text }) });
    // Each call's first chunk carries id, type and name; argument fragments follow, interleaved
    // across calls the way parallel calls can arrive, so only `index` ties them together.
    reply.calls.forEach((call, index) => {
      frames.push({
        tag: "other",
        data: delta({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }),
      });
    });
    const longest = Math.max(0, ...reply.calls.map((c) => c.fragments.length));
    for (let f = 0; f < longest; f += 1) {
      reply.calls.forEach((call, index) => {
        const fragment = call.fragments[f];
        if (fragment !== undefined)
          frames.push({ tag: "other", data: delta({ tool_calls: [{ index, function: { arguments: fragment } }] }) });
      });
    }
    frames.push({ tag: "other", data: delta({}, reply.calls.length > 0 ? "tool_calls" : "stop") });
    const options = request.stream_options;
    if (isObject(options) && options.include_usage === true) {
      const usage = reply.partialUsage
        ? { prompt_tokens: FAKE_USAGE.input, total_tokens: null }
        : { prompt_tokens: FAKE_USAGE.input, completion_tokens: FAKE_USAGE.output, total_tokens: FAKE_USAGE.input + FAKE_USAGE.output };
      frames.push({ tag: "other", data: chunk([], { usage }) });
    }
    frames.push({ tag: "terminal", data: sse("[DONE]") });
    return frames;
  },

  streamErrorFrame() {
    return sse(
      JSON.stringify({ error: { message: "The server had an error while processing your request.", type: "server_error", code: null } }),
    );
  },

  contextTooLong(window, tokens) {
    return {
      error: {
        message: `This model's maximum context length is ${window} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`,
        type: "invalid_request_error",
        param: "messages",
        code: "context_length_exceeded",
      },
    };
  },

  errorBody(status) {
    if (status === 401)
      return { error: { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key" } };
    if (status === 429) return { error: { message: "Rate limit reached.", type: "requests", code: "rate_limit_exceeded" } };
    if (status >= 500) return { error: { message: "The server had an error.", type: "server_error", code: null } };
    return { error: { message: `Fake error ${status}.`, type: "invalid_request_error", code: null } };
  },

  lastUserText(request) {
    return lastUserTextOf(request.messages);
  },

  toolResults(request) {
    const messages = Array.isArray(request.messages) ? request.messages : [];
    return messages.filter((m): m is JsonObject => isObject(m) && m.role === "tool").map((m) => String(m.content));
  },

  authenticated(headers) {
    const value = headers.authorization;
    return typeof value === "string" && /^Bearer \S+$/.test(value);
  },
};
