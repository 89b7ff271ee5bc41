import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { logLine } from "../lib/log";

/** One JSON line per request: method, path (no query: it may carry cursors), status, duration, request id. */
export function accessLog() {
  return createMiddleware<AppEnv>(async (c, next) => {
    await next();
    logLine("info", {
      msg: "request",
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Date.now() - c.var.receivedAt,
      request_id: c.get("requestId"),
    });
  });
}
