import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { ErrorSchema } from "../schemas/common";

/** Every route needs one of these unless it declares `security: []` (the public routes). */
const SECURITY: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }];

/** Serves the OpenAPI 3.1 document generated from the route definitions, with the error schema and security schemes. */
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
  app.doc31("/api-doc/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: {
      title: "Everruns Edge API",
      version: c.env.APP_VERSION ?? "0.0.0",
      description: "Everruns-compatible agent API on Cloudflare Workers. Errors are application/problem+json.",
    },
    security: SECURITY,
  }));
}
