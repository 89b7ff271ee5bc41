import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";

/**
 * Headers every response carries once it is built: no body is ever sniffed as another type, and
 * a /v1 answer (per-caller data, tokens, an API key shown once) is never kept by a browser or a
 * shared cache. A response that states its own cache rule (the event stream's) keeps it.
 */
export function securityHeaders() {
  return createMiddleware<AppEnv>(async (c, next) => {
    await next();
    c.res.headers.set("x-content-type-options", "nosniff");
    if (c.req.path.startsWith("/v1/") && !c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
  });
}
