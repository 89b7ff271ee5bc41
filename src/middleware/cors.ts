import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";

/** CORS is off unless CORS_ALLOWED_ORIGINS lists origins; then only those exact origins are allowed. */
export function corsFromEnv() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const allowed = (c.env.CORS_ALLOWED_ORIGINS ?? "")
      .split(",")
      .map((o) => o.trim())
      .filter(Boolean);
    if (allowed.length === 0) return next();
    const handler = cors({
      origin: (origin) => (allowed.includes(origin) ? origin : null),
      allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
      allowHeaders: ["Authorization", "Content-Type", "X-Org-Id", "X-Request-ID", "Last-Event-ID", "X-D1-Bookmark", "Idempotency-Key"],
      exposeHeaders: ["X-Request-ID", "Retry-After", "X-D1-Bookmark", "Idempotent-Replayed"],
      maxAge: 600,
    });
    return handler(c, next);
  });
}
