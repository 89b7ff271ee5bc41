import { vi } from "vitest";
import { listCapabilities } from "../../src/capabilities/registry";
import type { Tool } from "../../src/capabilities/types";

/** A built-in tool by name: the very object turns run, so a test can stand in for its behaviour. */
export function builtinTool(name: string): Tool {
  const found = listCapabilities()
    .flatMap((c) => c.tools)
    .find((tool) => tool.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
}

/**
 * Makes `tool` run `execute` instead (restored by vi.restoreAllMocks). Turns run in the session's
 * Durable Object, which lives in the test's isolate and shares its modules.
 */
export function standIn(tool: Tool, execute: Tool["execute"]): void {
  vi.spyOn(tool, "execute").mockImplementation(execute);
}
