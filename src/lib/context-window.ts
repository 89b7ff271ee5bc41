import { envInt } from "./env-int";

/** The provider types a model's window defaults by (the same names as the API's `provider_type`). */
type ProviderType = "openai" | "anthropic" | "llmsim";

/**
 * The context window (tokens, prompt and reply together) of a model whose `context_window` is
 * null, by provider type: the smallest window of the provider's current chat models, so a
 * default never sends more than the model takes. llmsim's is small, so compaction can be tried
 * offline; `LLMSIM_CONTEXT_WINDOW` changes it.
 */
export const DEFAULT_CONTEXT_WINDOWS: Readonly<Record<ProviderType, number>> = {
  openai: 128_000,
  anthropic: 200_000,
  llmsim: 8_192,
};

/** The smallest and largest `context_window` a model may be given. */
export const CONTEXT_WINDOW_RANGE = { min: 1_024, max: 10_000_000 } as const;

export interface ContextWindowEnv {
  /** Tokens of llmsim's window when its model sets none (default 8,192). */
  LLMSIM_CONTEXT_WINDOW?: string;
}

/** A model's window: its own, else its provider type's default. */
export function contextWindowOf(type: ProviderType, own: number | null, env: ContextWindowEnv): number {
  if (own !== null) return own;
  if (type === "llmsim") return envInt(env.LLMSIM_CONTEXT_WINDOW, 1) ?? DEFAULT_CONTEXT_WINDOWS.llmsim;
  return DEFAULT_CONTEXT_WINDOWS[type];
}
