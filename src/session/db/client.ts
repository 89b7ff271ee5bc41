import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import migrations from "./migrations/migrations.js";
import * as schema from "./schema";

/** A Drizzle client over the session object's own SQLite storage (synchronous queries). */
export function openSessionDb(storage: DurableObjectStorage) {
  return drizzle(storage, { schema });
}

export type SessionDb = ReturnType<typeof openSessionDb>;

/**
 * Whether this object's storage was ever set up. Only reads, so addressing an unknown session id
 * leaves no storage behind (migrations run when a session is created, or on an existing one).
 */
export function isProvisioned(db: SessionDb): boolean {
  const row = db.get<{ n: number }>(sql`select count(*) as n from sqlite_master where type = 'table' and name = '__drizzle_migrations'`);
  return (row?.n ?? 0) > 0;
}

/** Applies the migrations this object's storage has not seen (drizzle-kit output in ./migrations). */
export async function migrateSessionDb(db: SessionDb): Promise<void> {
  await migrate(db, migrations);
}
