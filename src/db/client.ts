import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

/**
 * A Drizzle client over one D1 binding or one D1 session (the Sessions API, for read replicas);
 * made per request (or per Durable Object), never shared globally. A session has what Drizzle
 * calls on the binding (prepare, batch).
 */
export function createDb(d1: D1Database | D1DatabaseSession) {
  return drizzle(d1 as D1Database, { schema });
}

export type Database = ReturnType<typeof createDb>;
