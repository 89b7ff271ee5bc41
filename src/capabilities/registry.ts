import { currentTime } from "./current-time";
import { noop } from "./noop";
import { approvalRuleOf, gates } from "./refs";
import { testMath } from "./test-math";
import { testWeather } from "./test-weather";
import type { Capability, EnabledTool } from "./types";
import { webFetch } from "./web-fetch";

/** Every built-in capability, in the order `GET /v1/capabilities` lists them. */
const CAPABILITIES: readonly Capability[] = [noop, currentTime, testMath, testWeather, webFetch];
const BY_ID = new Map(CAPABILITIES.map((capability) => [capability.id, capability]));

export function listCapabilities(): readonly Capability[] {
  return CAPABILITIES;
}

export function getCapability(id: string): Capability | undefined {
  return BY_ID.get(id);
}

export function isKnownCapability(id: string): boolean {
  return BY_ID.has(id);
}

export interface CapabilityRef {
  ref: string;
  config: Record<string, unknown>;
}

/**
 * The tools and prompt additions an agent's capabilities give a turn, in the agent's order.
 * Refs no longer in the registry are skipped (an agent outlives a removed capability), as are
 * `mcp:` refs (src/session/mcp-tools.ts adds theirs). `config.require_approval` marks the gated tools.
 */
export function toolsFor(refs: readonly CapabilityRef[]): { tools: EnabledTool[]; systemPrompts: string[] } {
  const tools: EnabledTool[] = [];
  const systemPrompts: string[] = [];
  for (const { ref, config } of refs) {
    const capability = BY_ID.get(ref);
    if (!capability) continue;
    if (capability.systemPrompt) systemPrompts.push(capability.systemPrompt);
    const rule = approvalRuleOf(config);
    for (const tool of capability.tools) tools.push({ tool, config, requiresApproval: gates(rule, tool.name) });
  }
  return { tools, systemPrompts };
}
