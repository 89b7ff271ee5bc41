import type { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "./errors";

/** A route of the app's table (`app.routes`): its method, its Hono path and its handler. */
export interface RouteEntry {
  method: string;
  path: string;
  handler?: unknown;
}

/** A route path compiled once: its anchored regex and how specific each of its segments is. */
interface CompiledRoute {
  route: RouteEntry;
  method: string;
  pattern: RegExp;
  /** Per segment: 2 literal text, 1 a parameter, 0 a wildcard. */
  rank: number[];
}

const LITERAL = 2;
const PARAMETER = 1;
const WILDCARD = 0;

/** Turns a Hono path (`/v1/agents/:agent_id`, `/swagger-ui/vendor/*`) into an anchored regex and its rank. */
function compile(route: RouteEntry): CompiledRoute {
  const segments = route.path.split("/");
  const source = segments
    .map((segment) => {
      if (segment === "*") return ".*";
      if (segment.startsWith(":")) return "[^/]+";
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  const rank = segments
    .filter((segment) => segment !== "")
    .map((segment) => (segment === "*" ? WILDCARD : segment.startsWith(":") ? PARAMETER : LITERAL));
  return { route, method: route.method, pattern: new RegExp(`^${source}/?$`), rank };
}

/** Positive when `a` is more specific than `b`: the first segment where they differ decides. */
function compareRank(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const diff = (a[i] ?? -1) - (b[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * The methods served at `path` by the most specific routes that match it (a literal segment beats
 * a parameter, a parameter beats a wildcard; equally specific routes are joined). So
 * `/v1/llm-providers/re-encrypt` answers with its own methods, not those of `/{provider_id}`,
 * which its text also matches.
 */
function methodsAt(routes: readonly CompiledRoute[], path: string): string[] {
  const methods = new Set(bestAt(routes, path).map((route) => route.method));
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}

/** The most specific routes whose path matches `path` (equally specific ones joined). */
function bestAt(routes: readonly CompiledRoute[], path: string): CompiledRoute[] {
  let best: CompiledRoute[] = [];
  for (const route of routes) {
    if (!route.pattern.test(path)) continue;
    const order = best[0] ? compareRank(route.rank, best[0].rank) : 1;
    if (order > 0) best = [route];
    else if (order === 0) best.push(route);
  }
  return best;
}

/** The app's handlers (middleware, registered as `ALL`, excluded), compiled. */
function compileRoutes(routes: readonly RouteEntry[]): CompiledRoute[] {
  return routes.filter((route) => route.method !== "ALL").map(compile);
}

/**
 * The methods that the routes best matching `path` serve, for a 405's `Allow` header. Computed
 * from the app's own route table, so it cannot drift from the routes.
 */
export function allowedMethods(app: Hono<never> | { routes: RouteEntry[] }, path: string): string[] {
  return methodsAt(compileRoutes(app.routes as RouteEntry[]), path);
}

/** The routes, of any method, that best match `path`: the ones a 405 for it names. */
export function routesAt(app: { routes: RouteEntry[] }, path: string): RouteEntry[] {
  return bestAt(compileRoutes(app.routes), path).map((compiled) => compiled.route);
}

/**
 * 405 (with `Allow`) when the routes that best match the path do not serve the method, before the
 * router could hand the request to a less specific route: without it, `GET
 * /v1/llm-providers/re-encrypt` would reach `GET /{provider_id}` and be judged as a bad id.
 * A path no route matches is left to the 404 handler.
 */
export function rejectUnservedMethods(app: { routes: RouteEntry[] }) {
  let compiled: { from: number; routes: CompiledRoute[] } | undefined;
  return createMiddleware<AppEnv>(async (c, next) => {
    // Compiled on first use, once every router is mounted (and again if routes were added since).
    if (compiled?.from !== app.routes.length) compiled = { from: app.routes.length, routes: compileRoutes(app.routes) };
    const allow = methodsAt(compiled.routes, c.req.path);
    if (allow.length > 0 && !allow.includes(c.req.method)) {
      throw new ApiError("method_not_allowed", { headers: { allow: allow.join(", ") } });
    }
    await next();
  });
}
