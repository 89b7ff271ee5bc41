import { afterEach, beforeEach, expect, vi } from "vitest";
import { FAKE_PROVIDER_KEY } from "./models";

const LEVELS = ["log", "info", "warn", "error", "debug"] as const;

/** Sends every console call at any level into `lines` (one entry per call, arguments joined by spaces). */
function spyOnConsole(lines: string[]) {
  return LEVELS.map((level) =>
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" "))),
  );
}

/** Everything the Worker writes to the console while `run` executes (it logs in this isolate), one entry per call. */
export async function captureConsole(run: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const spies = spyOnConsole(lines);
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines;
}

/** The JSON log lines among captured console output (anything else is skipped). */
export function jsonLines(lines: string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of lines) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed !== null && typeof parsed === "object") out.push(parsed as Record<string, unknown>);
    } catch {
      // Not one of ours: the app logs only JSON lines.
    }
  }
  return out;
}

/**
 * Captures the Worker's console lines during each test of the calling suite (the session objects
 * log in this isolate) and fails any test whose logs contain the fake provider's key. Its
 * afterEach restores every mock (vi.restoreAllMocks), stand-ins included.
 */
export function capturedLogsWithoutKey(): { lines: () => string[] } {
  let logs: string[] = [];
  beforeEach(() => {
    logs = [];
    spyOnConsole(logs);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    expect(logs.join("\n")).not.toContain(FAKE_PROVIDER_KEY);
  });
  return { lines: () => logs };
}
