import { outboundUrlRefusal } from "../lib/public-url";

/** The Worker var that lets provider URLs reach private networks (docs/PROVIDERS.md). */
export interface ProviderUrlEnv {
  /** Exactly `true` allows private and loopback addresses and plain http; anything else, or unset, does not. */
  ALLOW_PRIVATE_PROVIDER_URLS?: string | undefined;
}

/**
 * Whether provider URLs may point at private, loopback and link-local addresses and use plain
 * http: for local model servers (Ollama, vLLM on a LAN). Off unless the var is exactly `true`,
 * so a typo never opens it.
 */
export function privateProviderUrlsAllowed(env: ProviderUrlEnv): boolean {
  return env.ALLOW_PRIVATE_PROVIDER_URLS === "true";
}

const HINT = "set ALLOW_PRIVATE_PROVIDER_URLS=true to use a local model server";

/**
 * Why a provider may not be called at `raw`, or null when it may. With private URLs allowed any
 * http(s) URL goes (the schema already refuses other schemes and credentials). Otherwise it must
 * be https (the API key travels in its headers) to a public host by web_fetch's address policy;
 * unlike web_fetch any port is allowed, since hosted OpenAI-compatible servers often use one.
 */
export function providerUrlRefusal(raw: string, allowPrivate: boolean): string | null {
  return outboundUrlRefusal(raw, allowPrivate, HINT);
}
