import { OpenAPIHono, type RouteConfig, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { validationHook } from "./validation";

/** The only way to make a router: typed with AppEnv and wired to the shared validation hook. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ strict: false, defaultHook: validationHook });
}

export type AppRouter = ReturnType<typeof createRouter>;

/** A route handler typed by its route definition. */
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppEnv>;
