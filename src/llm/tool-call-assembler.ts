import { FREE_FORM_MAX_DEPTH, firstTooDeep } from "../lib/json-depth";
import { isRecord } from "./http-errors";
import { LlmError, type LlmToolCall } from "./types";

interface PartialToolCall {
  id: string;
  name: string;
  argumentsText: string;
}

/**
 * Joins tool calls that providers stream in pieces: the id and name come first, the arguments
 * arrive as JSON text fragments. Calls are keyed by the provider's index (OpenAI's
 * `tool_calls[].index`, Anthropic's content block index) and come out in index order.
 */
export class ToolCallAssembler {
  readonly #provider: string;
  readonly #calls = new Map<number, PartialToolCall>();

  constructor(provider: string) {
    this.#provider = provider;
  }

  /** Adds what one chunk says about call `index`; the first non-empty id and name win. */
  add(index: number, part: { id?: string | null; name?: string | null; argumentsText?: string | null }): void {
    const call = this.#calls.get(index) ?? { id: "", name: "", argumentsText: "" };
    if (!call.id && part.id) call.id = part.id;
    if (!call.name && part.name) call.name = part.name;
    if (part.argumentsText) call.argumentsText += part.argumentsText;
    this.#calls.set(index, call);
  }

  has(index: number): boolean {
    return this.#calls.has(index);
  }

  /** Completes and removes call `index`. */
  take(index: number): LlmToolCall {
    const call = this.#calls.get(index);
    if (!call) throw new LlmError("llm_bad_response", `${this.#provider} finished a tool call it never started`);
    this.#calls.delete(index);
    if (!call.name) throw new LlmError("llm_bad_response", `${this.#provider} sent a tool call without a name`);
    // Some OpenAI-compatible servers omit ids; a stable stand-in keeps results matched to calls.
    return { id: call.id || `call_${index}`, name: call.name, arguments: parseArguments(this.#provider, call.argumentsText) };
  }

  /** Completes and removes every call still open, in index order. */
  takeAll(): LlmToolCall[] {
    return [...this.#calls.keys()].sort((a, b) => a - b).map((index) => this.take(index));
  }
}

/**
 * The joined argument text must be a JSON object, nested no deeper than any free-form JSON a
 * client may send (it is stored and serialized the same way); empty text means no arguments.
 */
function parseArguments(provider: string, text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new LlmError("llm_bad_response", `${provider} sent tool arguments that are not JSON`, { cause });
  }
  if (!isRecord(parsed)) throw new LlmError("llm_bad_response", `${provider} sent tool arguments that are not a JSON object`);
  if (firstTooDeep(parsed, FREE_FORM_MAX_DEPTH) !== null) {
    throw new LlmError("llm_bad_response", `${provider} sent tool arguments nested more than ${FREE_FORM_MAX_DEPTH} levels deep`);
  }
  return parsed;
}
