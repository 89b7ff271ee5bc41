import { createRouter } from "../lib/create-router";
import { ApiError } from "../lib/errors";

/**
 * Swagger UI. The page and its initializer are served here; the bundle and CSS come from
 * the Worker's static assets (public/swagger-ui/vendor, copied from swagger-ui-dist), so
 * nothing is loaded from a CDN and the page works under `default-src 'self'`.
 */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Everruns Edge API</title>
<link rel="stylesheet" href="/swagger-ui/vendor/swagger-ui.css">
<link rel="icon" type="image/png" href="/swagger-ui/vendor/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/swagger-ui/vendor/swagger-ui-bundle.js"></script>
<script src="/swagger-ui/init.js"></script>
</body>
</html>`;

const INIT = `window.ui = SwaggerUIBundle({ url: "/api-doc/openapi.json", dom_id: "#swagger-ui", deepLinking: true });`;

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'";

// The app ignores trailing slashes when routing, so one route sees both `/swagger-ui` and
// `/swagger-ui/` and tells them apart by the raw path.
export const docsRouter = createRouter()
  .get("/swagger-ui", (c) => {
    if (!new URL(c.req.url).pathname.endsWith("/")) return c.redirect("/swagger-ui/", 301);
    c.header("content-security-policy", CSP);
    return c.html(PAGE);
  })
  .get("/swagger-ui/init.js", (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    return c.body(INIT);
  })
  .get("/swagger-ui/vendor/*", async (c) => {
    const res = await c.env.ASSETS.fetch(c.req.raw);
    if (res.status === 404) {
      await res.body?.cancel();
      throw new ApiError("route_not_found");
    }
    return new Response(res.body, res);
  });
