import { DrizzleQueryError } from "drizzle-orm/errors";

/**
 * Runs a query whose parameters hold secrets (password hashes, key or token hashes). Drizzle puts
 * every bound parameter into its error message, and the root error handler logs messages of 500s,
 * so a failure here is rethrown with the SQL text (placeholders only) and the driver's own error.
 */
export async function secretQuery<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof DrizzleQueryError) {
      throw new Error(`Failed query (parameters redacted): ${err.query}`, { cause: err.cause });
    }
    throw err;
  }
}

/** True when a D1 failure (possibly wrapped) is a UNIQUE constraint violation. */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e.message.includes("UNIQUE constraint failed")) return true;
  }
  return false;
}
