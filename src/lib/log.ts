/** Structured JSON log lines. Values passed here must never hold credentials or secrets. */
export function logLine(level: "info" | "warn" | "error", fields: Record<string, unknown>): void {
  const line = JSON.stringify({ level, time: new Date().toISOString(), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** The loggable shape of an unknown failure: name, message and stack, nothing else. */
export function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    return { name: err.name, message: err.message, stack: err.stack, cause: err.cause ? describeError(err.cause) : undefined };
  }
  return { value: String(err) };
}
