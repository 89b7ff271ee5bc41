import { type AnyColumn, type SQL, sql } from "drizzle-orm";

/** `column` contains `text`, case-insensitively (no LIKE wildcards to escape). */
export function contains(column: AnyColumn, text: string): SQL {
  return sql`instr(lower(${column}), lower(${text})) > 0`;
}
