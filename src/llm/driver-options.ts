import { envInt } from "../lib/env-int";
import { type ProviderUrlEnv, privateProviderUrlsAllowed } from "./provider-url";

/** Tuning for the network drivers; every field is optional and has a production default. */
export interface DriverOptions {
  /** How long to wait for the first byte of the response body (covers connect and headers too). Default 60 s. */
  firstByteTimeoutMs?: number;
  /** How long the provider may stay silent between two body chunks. Default 30 s. */
  idleTimeoutMs?: number;
  /** Anthropic requires `max_tokens`; default 4096. */
  maxTokens?: number;
  /** Outbound fetch; tests may inject one. Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** llmsim's pause before each of a reply's first words (llmsim.ts), so its replies stream visibly. Default 15 ms; 0 for none. */
  llmsimWordDelayMs?: number;
  /**
   * Whether a provider may be called at a private or loopback address or over plain http
   * (ALLOW_PRIVATE_PROVIDER_URLS). Default false: such a call fails with llm_unavailable and is never sent.
   */
  allowPrivateUrls?: boolean;
}

export type ResolvedDriverOptions = Required<DriverOptions>;

const DEFAULT_FIRST_BYTE_TIMEOUT_MS = 60_000;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_TOKENS = 4096;
/**
 * Short enough that tests and demos stay quick (a reply takes at most 32 pauses, about 0.5 s),
 * long enough that it spans several 100 ms delta batches and can be cancelled halfway.
 */
export const DEFAULT_LLMSIM_WORD_DELAY_MS = 15;

/** Fills in the defaults. */
export function resolveDriverOptions(options: DriverOptions = {}): ResolvedDriverOptions {
  return {
    firstByteTimeoutMs: options.firstByteTimeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxTokens: options.maxTokens ?? DEFAULT_MAX_TOKENS,
    llmsimWordDelayMs: options.llmsimWordDelayMs ?? DEFAULT_LLMSIM_WORD_DELAY_MS,
    allowPrivateUrls: options.allowPrivateUrls ?? false,
    // Looked up at call time, not import time, so a test that stubs the global fetch is honoured.
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
  };
}

/** The optional env vars that tune the drivers (milliseconds); unset or invalid values keep the defaults. */
export interface DriverEnv extends ProviderUrlEnv {
  LLM_FIRST_BYTE_TIMEOUT_MS?: string;
  LLM_IDLE_TIMEOUT_MS?: string;
  /** 0 turns llmsim's pacing off. */
  LLMSIM_WORD_DELAY_MS?: string;
}

/** Reads driver timeouts and the provider URL policy from the Worker's env, so tests can change them without code changes. */
export function driverOptionsFromEnv(env: DriverEnv): DriverOptions {
  const options: DriverOptions = {};
  if (privateProviderUrlsAllowed(env)) options.allowPrivateUrls = true;
  const firstByte = envInt(env.LLM_FIRST_BYTE_TIMEOUT_MS, 1);
  const idle = envInt(env.LLM_IDLE_TIMEOUT_MS, 1);
  if (firstByte !== undefined) options.firstByteTimeoutMs = firstByte;
  if (idle !== undefined) options.idleTimeoutMs = idle;
  const wordDelay = envInt(env.LLMSIM_WORD_DELAY_MS, 0);
  if (wordDelay !== undefined) options.llmsimWordDelayMs = wordDelay;
  return options;
}
