import { createMiddleware } from "hono/factory";
import { createDb } from "../db/client";
import type { AppEnv } from "../env";

/** Puts a request-scoped Drizzle client in `c.var.db`. */
export function database() {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set("db", createDb(c.env.DB));
    await next();
  });
}
