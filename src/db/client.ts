import { drizzle } from "drizzle-orm/d1";

/**
 * A Drizzle client over one D1 binding or one D1 session (the Sessions API, for read replicas);
 * made per request (or per Durable Object), never shared globally. A session has what Drizzle
 * calls on the binding (prepare, batch). Without the schema: queries name their tables, and the
 * relational query API (`db.query`) is not used, so Drizzle has no relations to work out from
 * every table of the schema on each request (with the schema, 5.5 % of a simple request's CPU).
 */
export function createDb(d1: D1Database | D1DatabaseSession) {
  return drizzle(d1 as D1Database);
}

export type Database = ReturnType<typeof createDb>;
