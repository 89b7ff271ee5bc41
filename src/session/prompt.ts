import { estimateMessageTokens, estimateTextTokens } from "../llm/token-estimate";
import type { LlmMessage } from "../llm/types";
import { type CompactionStrategy, dropOldestTurns, type PromptTurn } from "./compaction";
import { toTurns, wholeTurns } from "./conversation";
import type { SessionDb } from "./db/client";
import { type MessageRow, messageCount, messagesBefore } from "./message-store";

/** Messages read per query while going back through the history. */
const PAGE_ROWS = 64;
/** The most messages a prompt is built from, however small they are (the read's memory stays bounded). */
const MAX_PROMPT_ROWS = 1_000;

/** What `context.compacted` says (spec §5, §10). */
interface ContextCompacted {
  dropped_messages: number;
  kept_messages: number;
  estimated_tokens: number;
  context_window: number;
}

export interface PromptRequest {
  db: SessionDb;
  /** Messages still queued (left out: they get their own turns). */
  queued: ReadonlySet<string>;
  /** The running turn's input: it and what its turn produced are always sent. */
  inputMessageId: string | null;
  /** Estimated tokens of the system prompt and the tools offered (always sent). */
  fixedTokens: number;
  contextWindow: number;
  strategy?: CompactionStrategy;
}

export interface Prompt {
  messages: LlmMessage[];
  /** Set when older messages were left out. */
  compacted: ContextCompacted | null;
}

/** Tokens a prompt may take: the window less room for the reply (an eighth of it, at most 4,096). */
export function promptBudget(contextWindow: number): number {
  return contextWindow - Math.min(4_096, Math.floor(contextWindow / 8));
}

/**
 * The model's prompt from the newest messages: reads the history backwards a page at a time and
 * stops once it holds the running turn's input and more than the window could take (or
 * MAX_PROMPT_ROWS messages), so a session of any length costs the same read; then lets the
 * strategy leave out the oldest turns that do not fit.
 */
export function buildPrompt(request: PromptRequest): Prompt {
  const budget = promptBudget(request.contextWindow) - request.fixedTokens;
  const newestFirst: MessageRow[] = [];
  let read = 0;
  let sawInput = request.inputMessageId === null;
  let complete = false;
  for (let before = Number.MAX_SAFE_INTEGER; ; ) {
    const page = messagesBefore(request.db, before, PAGE_ROWS);
    for (const row of page) {
      newestFirst.push(row);
      read += rowTokens(row);
      if (row.id === request.inputMessageId) sawInput = true;
    }
    const last = page.at(-1);
    if (page.length < PAGE_ROWS || !last) {
      complete = true;
      break;
    }
    before = last.sequence;
    if (sawInput && (read > budget || newestFirst.length >= MAX_PROMPT_ROWS)) break;
  }
  const rows = newestFirst.reverse();
  const turns: PromptTurn[] = toTurns(complete ? rows : wholeTurns(rows), request.queued).map((turn) => ({
    ...turn,
    tokens: turn.messages.reduce((sum, m) => sum + estimateMessageTokens(m), 0),
  }));
  const required = turns.findIndex((turn) => turn.inputId === request.inputMessageId);
  const kept = (request.strategy ?? dropOldestTurns).fit(turns, budget, required >= 0 ? required : Math.max(0, turns.length - 1));
  const messages = kept.flatMap((turn) => turn.messages);
  const prompt: Prompt = { messages, compacted: null };
  if (complete && kept.length === turns.length) return prompt;
  const keptRows = kept.reduce((sum, turn) => sum + turn.rows, 0);
  const dropped = messageCount(request.db) - request.queued.size - keptRows;
  if (dropped <= 0) return prompt;
  const estimated = request.fixedTokens + kept.reduce((sum, turn) => sum + turn.tokens, 0);
  return {
    ...prompt,
    compacted: { dropped_messages: dropped, kept_messages: keptRows, estimated_tokens: estimated, context_window: request.contextWindow },
  };
}

/** A stored message's share of the prompt, from its content as stored (what stops the read). */
function rowTokens(row: MessageRow): number {
  return estimateTextTokens(JSON.stringify(row.content));
}
