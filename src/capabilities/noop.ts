import type { Capability } from "./types";

/** Does nothing: a placeholder capability for agents that need none, and for tests. */
export const noop: Capability = {
  id: "noop",
  name: "No-op",
  description: "Adds no prompt and no tools.",
  status: "available",
  category: "utility",
  systemPrompt: null,
  tools: [],
};
