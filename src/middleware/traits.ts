import type { Context, MiddlewareHandler } from "hono";
import { every } from "hono/combine";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import type { AppEnv, OrgEnv, Role, SignedInEnv } from "../env";
import { ApiError } from "../lib/errors";
import { type RouteEntry, routesAt } from "../lib/method-not-allowed";
import { idempotency } from "./idempotency";
import { orgFromPath } from "./org-access";
import { requireRole } from "./require-role";

/**
 * Who may call a route: anyone (no credentials), any signed-in caller (with or without an org), or
 * a member of the org the request acts in.
 */
export type Access = "public" | "signed-in" | "org";

/**
 * What a route needs, declared on the route itself (`middleware: traits({...})` in its
 * definition). The app-wide middleware reads the request's route for it (`routeTraits`), and the
 * route's own middleware does the rest (the org of the path, the role, then the Idempotency-Key).
 */
export interface RouteTraits<A extends Access = Access> {
  access: A;
  /** Counted per client address (login, register) rather than per caller. Only for public routes. */
  limitedPerAddress?: boolean;
  /**
   * Takes `Idempotency-Key`. Remembered in D1, or by the session object (`byObject`); the key is
   * the caller's in the org the request acts in, or the user's own (`userLevel`: the route makes
   * something of the user's, such as an org, and the user may have none yet).
   */
  idempotent?: true | { byObject?: boolean; userLevel?: boolean };
  /** The request acts in the org of the path's `org_id` (`/v1/orgs/{org_id}/…`). */
  orgFromPath?: boolean;
  /** The least role the caller needs in the org the request acts in. */
  role?: Role;
  /**
   * A WebSocket upgrade may carry its credential and org the way a browser can (it cannot set
   * headers on a WebSocket): `?access_token=` or the subprotocol `bearer.<token>`, `?org_id=` or
   * `org.<org id>`. Only `GET …/ws`: anywhere else a token in a URL would only leak into logs.
   */
  socketCredentials?: boolean;
  /**
   * Its reads must see the latest state: they go to D1's primary, not the nearest replica (a
   * writing method always starts there). For a view whose staleness would mislead, such as the
   * API keys just revoked.
   */
  reads?: "latest";
}

/** What a handler sees, by the route's access: a public route has no caller, a signed-in one may have no org. */
type EnvFor<A extends Access> = A extends "org" ? OrgEnv : A extends "signed-in" ? SignedInEnv : AppEnv;

const TRAITS = Symbol("route traits");

type Marked = { [TRAITS]?: RouteTraits };

/**
 * A route's declaration of what it needs: route middleware that carries the traits for the
 * app-wide middleware to read, types the handler's context (an `org` route gets `principal`
 * without a cast), and runs, in this order, the org of the path, the role and the Idempotency-Key.
 */
export function traits<A extends Access>(declared: RouteTraits<A>): MiddlewareHandler<EnvFor<A>> {
  const steps: MiddlewareHandler[] = [];
  if (declared.access === "org") steps.push(requireOrg);
  if (declared.orgFromPath) steps.push(orgFromPath());
  if (declared.role) steps.push(requireRole(declared.role));
  // Last: a replay is answered only to a caller who passes the same checks as a first request, and
  // its key belongs to the org the request acts in (the path's, on /v1/orgs/{org_id}/…).
  if (declared.idempotent) steps.push(idempotency(declared.idempotent === true ? {} : declared.idempotent) as MiddlewareHandler);
  const handler: MiddlewareHandler = steps.length > 0 ? every(...steps) : async (_c, next) => next();
  return Object.assign(handler, { [TRAITS]: declared }) as MiddlewareHandler<EnvFor<A>>;
}

/** Set by authentication on every `org` route (an org-less caller was refused there); checked again so the handler's type is true. */
const requireOrg = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.var.principal) throw new ApiError("org_not_found");
  await next();
});

function traitsOf(routes: readonly { handler?: unknown }[]): RouteTraits | null {
  for (const route of routes) {
    const declared = (route.handler as Marked | null)?.[TRAITS];
    if (declared) return declared;
  }
  return null;
}

/**
 * The traits of the route a request reaches: the one that serves its method, else (a method the
 * path does not serve, which will be a 405) those the path's own routes declare. Null when the
 * request reaches no route that declares any (an unknown path); the caller decides the default.
 */
export function routeTraits(c: Context, app: { routes: RouteEntry[] }): RouteTraits | null {
  return traitsOf(matchedRoutes(c)) ?? traitsOf(routesAt(app, c.req.path));
}

/** Every route of an app that declares traits, as `METHOD /path/{param}` with its traits (for the OpenAPI document and tests). */
export function declaredRoutes(app: { routes: RouteEntry[] }): { method: string; path: string; traits: RouteTraits }[] {
  return app.routes.flatMap((route) => {
    const declared = (route.handler as Marked | undefined)?.[TRAITS];
    return declared ? [{ method: route.method, path: route.path.replace(/:([^/]+)/g, "{$1}"), traits: declared }] : [];
  });
}
