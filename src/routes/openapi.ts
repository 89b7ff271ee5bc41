import type { OpenAPIHono, RouteConfig } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { declaredRoutes } from "../middleware/traits";
import { ErrorSchema, errorResponses } from "../schemas/common";

/** Every route needs one of these unless it declares `security: []` (the public routes). */
const SECURITY: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }];

/**
 * What the auth middleware (and the rate limiter after it) can answer on any secured route,
 * before the route runs: 400 a malformed X-Org-Id, 401 credentials, 403 role, 404 an X-Org-Id
 * org the caller is not in (or no org at all), 429 rate limited.
 */
const AUTH_ERROR_STATUSES = [400, 401, 403, 404, 429] as const;

const ORG_HEADER = "XOrgId";
const ORG_HEADER_REF = { $ref: `#/components/parameters/${ORG_HEADER}` };
const IDEMPOTENCY_HEADER = "IdempotencyKey";
const IDEMPOTENCY_HEADER_REF = { $ref: `#/components/parameters/${IDEMPOTENCY_HEADER}` };

/** An idempotent route as documented: the header, and the answers it can give (409 in progress, 422 reused). */
function withIdempotency(route: RouteConfig): RouteConfig {
  const missing = ([409, 422] as const).filter((status) => !(status in route.responses));
  const parameters = [...(route.parameters ?? []), IDEMPOTENCY_HEADER_REF] as RouteConfig["parameters"];
  return { ...route, parameters, responses: { ...errorResponses(...missing), ...route.responses } };
}

/** True unless the route opts out of the document's security with `security: []`. */
function isSecured(route: RouteConfig): boolean {
  return route.security === undefined || route.security.length > 0;
}

/**
 * A secured route as documented: its own responses, plus the auth errors it does not declare
 * itself (shared error schema, codes from the catalogue), and the X-Org-Id header parameter.
 */
function withAuthContract(route: RouteConfig): RouteConfig {
  const missing = AUTH_ERROR_STATUSES.filter((status) => !(status in route.responses));
  // `parameters` is typed as the 3.0 or the 3.1 list; a $ref belongs to both, which TS cannot see through the spread.
  const parameters = [...(route.parameters ?? []), ORG_HEADER_REF] as RouteConfig["parameters"];
  return {
    ...route,
    parameters,
    responses: { ...errorResponses(...missing), ...route.responses },
  };
}

/**
 * Serves the OpenAPI 3.1 document generated from the route definitions, with the error schema,
 * the security schemes and the X-Org-Id parameter. Call it after every router is mounted: it
 * gives each secured route the auth errors and the header in one place, so no route file has to.
 * Only this app's copies of the route definitions change (`app.route` copies them per app).
 */
export function registerOpenApiDocument(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.register("Error", ErrorSchema);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT or evr_ API key",
    description: "An access token from /v1/auth/login, or an API key `evr_…`",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKeyHeader", {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "An API key sent bare (`evr_…`) or as `ApiKey evr_…`, as the official SDK does",
  });
  app.openAPIRegistry.registerComponent("parameters", ORG_HEADER, {
    name: "X-Org-Id",
    in: "header",
    required: false,
    description:
      "The organization this request acts in, if you are a member of it (404 `org_not_found` otherwise); " +
      "without it, your default organization. An API key acts only in its own organization.",
    schema: { type: "string", pattern: "^org_[0-9a-f]{32}$", example: "org_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" },
  });
  app.openAPIRegistry.registerComponent("parameters", IDEMPOTENCY_HEADER, {
    name: "Idempotency-Key",
    in: "header",
    required: false,
    description:
      "Makes a retry safe (IETF draft): the same key with the same request within 24 hours answers with the first success again, " +
      "with `Idempotent-Replayed: true`, and creates nothing twice; with another request it is 422 `idempotency_key_reused`; while " +
      "the first request still runs, 409 `idempotency_key_in_progress`. Keys are scoped to the caller; only successes are remembered.",
    schema: { type: "string", minLength: 1, maxLength: 255, example: "3f1d2c8e-6b0a-4c1e-9a57-2f4e8d0b1c6a" },
  });
  // The routes that declare `idempotent` in their traits (middleware/traits.ts), as `METHOD /path/{param}`.
  const idempotent = new Set(declaredRoutes(app).flatMap((r) => (r.traits.idempotent ? [`${r.method} ${r.path}`] : [])));
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== "route") continue;
    if (isSecured(definition.route)) definition.route = withAuthContract(definition.route);
    if (idempotent.has(`${definition.route.method.toUpperCase()} ${definition.route.path}`))
      definition.route = withIdempotency(definition.route);
  }
  // Not `doc31`: its catch answers a generator failure with the raw error as JSON; thrown, it
  // reaches the one error renderer (a logged 500).
  app.get("/api-doc/openapi.json", (c) =>
    c.json(
      app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "Everruns Edge API",
          version: c.env.APP_VERSION ?? "0.0.0",
          description: "Everruns-compatible agent API on Cloudflare Workers. Errors are application/problem+json.",
        },
        security: SECURITY,
      }),
      200,
    ),
  );
}
