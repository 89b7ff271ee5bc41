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

/**
 * True when a D1 failure (possibly wrapped) is a UNIQUE constraint violation; with `columns`
 * (`table.column` as SQLite names them, e.g. `llm_models.provider_id, llm_models.model_id`), only
 * a violation of that index, so a table with several unique indexes can tell them apart.
 */
export function isUniqueViolation(err: unknown, columns?: string): boolean {
  const marker = columns === undefined ? "UNIQUE constraint failed" : `UNIQUE constraint failed: ${columns}`;
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e.message.includes(marker)) return true;
  }
  return false;
}
