import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

/** A Drizzle client over one D1 binding; made per request (or per Durable Object), never shared globally. */
export function createDb(d1: D1Database) {
  return drizzle(d1, { schema });
}

export type Database = ReturnType<typeof createDb>;
