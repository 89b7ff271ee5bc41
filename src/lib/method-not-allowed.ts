import type { Hono } from "hono";

interface RouteEntry {
  method: string;
  path: string;
}

/** Turns a Hono path (`/v1/agents/:agent_id`, `/swagger-ui/vendor/*`) into an anchored regex. */
function pathPattern(path: string): RegExp {
  const source = path
    .split("/")
    .map((segment) => {
      if (segment === "*") return ".*";
      if (segment.startsWith(":")) return "[^/]+";
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return new RegExp(`^${source}/?$`);
}

/**
 * The methods that some route serves at `path`, for a 405's `Allow` header. Computed from the
 * app's own route table, so it cannot drift from the routes. Middleware (`ALL`) is ignored.
 */
export function allowedMethods(app: Hono<never> | { routes: RouteEntry[] }, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes as RouteEntry[]) {
    if (route.method === "ALL") continue;
    if (pathPattern(route.path).test(path)) methods.add(route.method);
  }
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}
