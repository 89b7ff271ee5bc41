import type { Context } from "hono";
import type { AppEnv } from "../env";
import { createRouter } from "../lib/create-router";
import { ApiError } from "../lib/errors";

/**
 * The browser console (console/, built into public/console by scripts/build-console.mjs). The
 * Worker serves its page and assets itself so every response carries X-Request-ID, the CORS rules
 * of the API, and this strict policy: everything from this origin only, no inline script or
 * style, the API reached only on this origin, and the page never framed.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

async function serveAsset(c: Context<AppEnv>, path: string): Promise<Response> {
  const res = await c.env.ASSETS.fetch(new URL(path, c.req.url), { method: c.req.method });
  if (res.status === 404) {
    await res.body?.cancel();
    throw new ApiError("route_not_found");
  }
  const served = new Response(res.body, res);
  served.headers.set("content-security-policy", CONSOLE_CSP);
  served.headers.set("x-content-type-options", "nosniff");
  served.headers.set("referrer-policy", "no-referrer");
  // Asset names are fixed, so a browser revalidates (ETag) instead of keeping an old build.
  served.headers.set("cache-control", "no-cache");
  return served;
}

// The app ignores trailing slashes when routing: `/console` and `/console/` reach the same route
// and are told apart by the raw path (the page's relative asset URLs need the slash).
export const consoleRouter = createRouter()
  .get("/console", (c) => {
    if (!new URL(c.req.url).pathname.endsWith("/")) return c.redirect("/console/", 301);
    return serveAsset(c, "/console/");
  })
  .get("/console/assets/*", (c) => serveAsset(c, new URL(c.req.url).pathname));
