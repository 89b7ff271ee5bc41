import { promptTokens } from "./prompt-tokens";
import type { FakeReply, FakeToolCall, Frame, JsonObject, WireFormat } from "./wire";

/** What the server does, step by step, after sending `200 text/event-stream` headers. */
export type Step =
  | { write: string; splitWrite?: boolean }
  | { sleep: number }
  /** Cuts the TCP connection without ending the HTTP response. */
  | { destroy: true }
  /** Keeps the response open and silent until the client or the server closes it. */
  | { hang: true };

export type Plan =
  | { kind: "status"; status: number; headers: Record<string, string>; body: JsonObject }
  | { kind: "stream"; steps: Step[] };

const TEXT_REPLY = ["Hello", " from", " the", " fake", " model."];
const SLOW_TEXT_WORDS = 20;
/** `huge_text`: this many bytes of quotes and backslashes, in deltas of HUGE_TEXT_DELTA bytes. */
export const HUGE_TEXT_BYTES = 3 * 1024 * 1024;
const HUGE_TEXT_DELTA = 64 * 1024;
const SLOW_TEXT_DELAY_MS = 50;

/** `add {a: 2, b: 3}` with its id, name and arguments spread over several chunks. */
const SPLIT_CALL: FakeToolCall = { id: "call_split_1", name: "add", fragments: ['{"a"', ": 2, ", '"b": 3', "}"] };
/** Two calls in one reply: add {a: 2, b: 3} and multiply {a: 6, b: 7}. */
const PARALLEL_CALLS: FakeToolCall[] = [
  { id: "call_par_1", name: "add", fragments: ['{"a": 2,', ' "b": 3}'] },
  { id: "call_par_2", name: "multiply", fragments: ['{"a": 6', ', "b": 7}'] },
];

/** One call of the client's `lookup_order` and one of the built-in `add`, in that order. */
const CLIENT_AND_BUILTIN: readonly [FakeToolCall, FakeToolCall] = [
  { id: "call_client_1", name: "lookup_order", fragments: ['{"id": 5}'] },
  { id: "call_builtin_1", name: "add", fragments: ['{"a": 1, "b": 2}'] },
];

/** The plan for one request to `scenario`, or undefined if the scenario is unknown. */
export function planScenario(scenario: string, wire: WireFormat, request: JsonObject): Plan | undefined {
  const status = /^status_(\d{3})$/.exec(scenario);
  if (status) {
    const code = Number(status[1]);
    const headers: Record<string, string> = code === 429 ? { "retry-after": "7" } : {};
    return { kind: "status", status: code, headers, body: wire.errorBody(code) };
  }
  const window = /^window_(\d+)$/.exec(scenario);
  if (window) {
    // A model with a context window of <n> tokens: a longer prompt is refused as the provider would refuse it.
    const limit = Number(window[1]);
    const tokens = promptTokens(request);
    if (tokens > limit) return { kind: "status", status: 400, headers: {}, body: wire.contextTooLong(limit, tokens) };
    return stream(wire.render({ text: [`Fits: ${tokens} tokens.`], calls: [] }, request));
  }
  const text: FakeReply = { text: TEXT_REPLY, calls: [] };
  const frames = (reply: FakeReply) => wire.render(reply, request);
  switch (scenario) {
    case "text":
      return stream(frames(text));
    case "partial_usage":
      return stream(frames({ ...text, partialUsage: true }));
    case "tool_call_split":
      // Each frame is written in two halves, so SSE lines also arrive split across reads.
      return { kind: "stream", steps: frames({ text: [], calls: [SPLIT_CALL] }).map((f) => ({ write: f.data, splitWrite: true })) };
    case "parallel_tool_calls":
      return stream(frames({ text: ["Working on it."], calls: PARALLEL_CALLS }));
    case "bad_tool_arguments":
      // The argument fragments never add up to valid JSON.
      return stream(frames({ text: [], calls: [{ id: "call_bad_1", name: "add", fragments: ['{"a": 2,', ' "b"'] }] }));
    case "always_tool": {
      const n = wire.toolResults(request).length + 1;
      return stream(frames({ text: [], calls: [{ id: `call_always_${n}`, name: "add", fragments: ['{"a": 1, "b": 1}'] }] }));
    }
    case "tool_then_text": {
      const results = wire.toolResults(request);
      const last = results.at(-1);
      if (last === undefined) return stream(frames({ text: [], calls: [SPLIT_CALL] }));
      return stream(frames({ text: ["The tool", " returned ", last, "."], calls: [] }));
    }
    case "fetch_then_text": {
      // Calls web_fetch on the first http(s) URL of the last user message; once it has the result, says so.
      if (wire.toolResults(request).length > 0) return stream(frames({ text: ["Fetched."], calls: [] }));
      const url = /https?:\/\/\S+/.exec(wire.lastUserText(request))?.[0] ?? "https://example.com/";
      return stream(frames({ text: [], calls: [{ id: "call_fetch_1", name: "web_fetch", fragments: [JSON.stringify({ url })] }] }));
    }
    case "huge_text": {
      const delta = '"\\'.repeat(HUGE_TEXT_DELTA / 2);
      return stream(frames({ text: Array.from({ length: HUGE_TEXT_BYTES / HUGE_TEXT_DELTA }, () => delta), calls: [] }));
    }
    case "slow_text": {
      const words = Array.from({ length: SLOW_TEXT_WORDS }, (_, i) => (i === 0 ? "word1" : ` word${i + 1}`));
      return {
        kind: "stream",
        steps: frames({ text: words, calls: [] }).flatMap((f) =>
          f.tag === "text" ? [{ sleep: SLOW_TEXT_DELAY_MS }, { write: f.data }] : [{ write: f.data }],
        ),
      };
    }
    case "break_midway":
      return { kind: "stream", steps: [...writes(throughText(frames(text), 2)), { destroy: true }] };
    case "truncated":
      // Ends the response cleanly, but without the terminal frame.
      return stream(frames(text).filter((f) => f.tag !== "terminal"));
    case "malformed_chunk": {
      const all = frames(text);
      const head = throughText(all, 1);
      return {
        kind: "stream",
        steps: [...writes(head), { write: 'data: {"choices": [{"delta": \n\n' }, ...writes(all.slice(head.length))],
      };
    }
    case "stream_error":
      return { kind: "stream", steps: [...writes(throughText(frames(text), 1)), { write: wire.streamErrorFrame() }] };
    case "client_and_builtin_then_hang":
      // A reply that calls a client-side tool and a built-in one; once it has their results, the model never answers.
      if (wire.toolResults(request).length > 0) return { kind: "stream", steps: [{ hang: true }] };
      return stream(frames({ text: [], calls: [CLIENT_AND_BUILTIN[0], CLIENT_AND_BUILTIN[1]] }));
    case "hang":
      return { kind: "stream", steps: [{ hang: true }] };
    case "hang_after_first_chunk":
      return { kind: "stream", steps: [...writes(throughText(frames(text), 1)), { hang: true }] };
    default:
      return undefined;
  }
}

function stream(frames: Frame[]): Plan {
  return { kind: "stream", steps: writes(frames) };
}

function writes(frames: Frame[]): Step[] {
  return frames.map((f) => ({ write: f.data }));
}

/** The frames up to and including the `count`-th text delta. */
function throughText(frames: Frame[], count: number): Frame[] {
  let seen = 0;
  const end = frames.findIndex((f) => f.tag === "text" && ++seen === count);
  return frames.slice(0, end + 1);
}
