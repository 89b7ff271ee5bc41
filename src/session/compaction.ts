import type { ConversationTurn } from "./conversation";

/** A turn of the prompt with its estimated tokens. */
export interface PromptTurn extends ConversationTurn {
  tokens: number;
}

/**
 * How a prompt that would not fit is made to fit: given the turns (oldest first), the token
 * budget for them and the index of the first turn that must stay (the running turn's), it returns
 * the turns to send. A strategy that summarises the turns it leaves out would return a summary
 * turn in their place.
 */
export interface CompactionStrategy {
  fit(turns: readonly PromptTurn[], budget: number, required: number): PromptTurn[];
}

/**
 * Leaves the oldest whole turns out: keeps the required turns, then adds earlier turns, newest
 * first, while they fit. A turn is its input and everything it produced, so a tool call is never
 * separated from its result; the stored history is not changed.
 */
export const dropOldestTurns: CompactionStrategy = {
  fit(turns, budget, required) {
    let start = Math.max(0, Math.min(required, turns.length));
    let used = turns.slice(start).reduce((sum, turn) => sum + turn.tokens, 0);
    while (start > 0) {
      const earlier = turns[start - 1];
      if (!earlier || used + earlier.tokens > budget) break;
      used += earlier.tokens;
      start -= 1;
    }
    return turns.slice(start);
  },
};
