import { createAnthropicDriver } from "./anthropic";
import type { DriverOptions } from "./driver-options";
import { createLlmsimDriver } from "./llmsim";
import { createOpenAiDriver } from "./openai";
import type { LlmDriver, ProviderConfig } from "./types";

export type { DriverOptions } from "./driver-options";
export { BUILTIN_LLMSIM_MODEL } from "./llmsim";

/** The driver for a provider: openai, anthropic or the built-in llmsim (which uses only its word delay). */
export function createDriver(config: ProviderConfig, options: DriverOptions = {}): LlmDriver {
  switch (config.type) {
    case "openai":
      return createOpenAiDriver(config, options);
    case "anthropic":
      return createAnthropicDriver(config, options);
    case "llmsim":
      return createLlmsimDriver(options);
  }
}
