import { defineConfig } from "drizzle-kit";

/** The session Durable Object's own SQLite schema (drizzle-orm/durable-sqlite); D1's is drizzle.config.ts. */
export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./src/session/db/schema.ts",
  out: "./src/session/db/migrations",
});
