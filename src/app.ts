import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./env";
import { ApiError, codeForStatus } from "./lib/errors";
import { describeError, logLine } from "./lib/log";
import { allowedMethods, rejectUnservedMethods } from "./lib/method-not-allowed";
import { problemResponse } from "./lib/problem";
import { validationHook } from "./lib/validation";
import { accessLog } from "./middleware/access-log";
import { authenticate } from "./middleware/auth";
import { corsFromEnv } from "./middleware/cors";
import { database } from "./middleware/db";
import { limitBody, requireJsonBody } from "./middleware/json-body";
import { rateLimit } from "./middleware/rate-limit";
import { requestId } from "./middleware/request-id";
import { securityHeaders } from "./middleware/security-headers";
import { agUiRouter } from "./routes/ag-ui";
import { agentsRouter } from "./routes/agents";
import { apiKeysRouter } from "./routes/api-keys";
import { authRouter } from "./routes/auth";
import { capabilitiesRouter } from "./routes/capabilities";
import { chatRouter } from "./routes/chat";
import { consoleRouter } from "./routes/console";
import { docsRouter } from "./routes/docs";
import { eventsRouter } from "./routes/events";
import { harnessesRouter } from "./routes/harnesses";
import { healthRouter } from "./routes/health";
import { llmModelsRouter } from "./routes/llm-models";
import { llmProvidersRouter } from "./routes/llm-providers";
import { mcpServersRouter } from "./routes/mcp-servers";
import { messagesRouter } from "./routes/messages";
import { registerOpenApiDocument } from "./routes/openapi";
import { orgMembersRouter } from "./routes/org-members";
import { orgsRouter } from "./routes/orgs";
import { sessionsRouter } from "./routes/sessions";
import { toolApprovalsRouter } from "./routes/tool-approvals";
import { upstreamAliasesRouter } from "./routes/upstream-aliases";
import { webhooksRouter } from "./routes/webhooks";

/**
 * Maps anything thrown to an ApiError. An HTTPException (hono's own middleware and body parsing)
 * becomes the catalogue's generic code for its status; anything else, or a status the catalogue
 * does not know, is a bare 500 whose cause is logged, never sent.
 */
function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) {
    const code = codeForStatus(err.status);
    // A 500 from an HTTPException is still a failure of ours: keep its cause for the log.
    if (code !== null && code !== "internal_error") return new ApiError(code);
  }
  return new ApiError("internal_error", { cause: err });
}

/**
 * The one error renderer: every failure of every route and middleware ends here. Only a 500 is
 * logged here; a 503 was logged where the dependency failed (one line, with the request id).
 */
function renderError(err: unknown, c: Context<AppEnv>): Response {
  const apiError = toApiError(err);
  if (apiError.code === "internal_error") {
    logLine("error", {
      msg: "unhandled error",
      method: c.req.method,
      path: c.req.path,
      status: apiError.status,
      request_id: c.get("requestId"),
      error: describeError(apiError.cause ?? err),
    });
  }
  return problemResponse(c, apiError);
}

/**
 * Builds the app. Middleware order: request id (so every later line and error carries it),
 * security headers, access log, CORS; for /v1: DB, authentication, rate limit; 405 for a method the path does not
 * serve; for /v1 the body limit and JSON check; then the routers (each route's own middleware first), docs, 404
 * and errors.
 */
export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ strict: false, defaultHook: validationHook });

  app.use("*", requestId());
  app.use("*", securityHeaders());
  app.use("*", accessLog());
  app.use("*", corsFromEnv());
  app.use("/v1/*", database(app));
  // Credentials and the rate limit come before the body is read: a caller without credentials
  // learns nothing but 401, whatever it sent. The public routes (no credentials) still get their
  // bodies checked, just after.
  // Both read what the request's route declares (middleware/traits.ts): public, signed-in or org, limited per address.
  app.use("/v1/*", authenticate(app));
  app.use("/v1/*", rateLimit(app));
  // A method the path does not serve is a 405 whatever the body holds.
  app.use("*", rejectUnservedMethods(app));
  app.use("/v1/*", limitBody());
  app.use("/v1/*", requireJsonBody());
  // Each route's own middleware (its traits: Idempotency-Key, org of the path, role) runs after
  // these, so a body that is not JSON never claims a key.

  app.route("/", healthRouter);
  app.route("/", docsRouter);
  app.route("/", consoleRouter);
  app.route("/", authRouter);
  app.route("/", apiKeysRouter);
  app.route("/", orgsRouter);
  app.route("/", orgMembersRouter);
  app.route("/", agentsRouter);
  app.route("/", sessionsRouter);
  app.route("/", messagesRouter);
  app.route("/", toolApprovalsRouter);
  app.route("/", eventsRouter);
  app.route("/", llmProvidersRouter);
  app.route("/", llmModelsRouter);
  app.route("/", mcpServersRouter);
  app.route("/", upstreamAliasesRouter);
  app.route("/", chatRouter);
  app.route("/", agUiRouter);
  app.route("/", capabilitiesRouter);
  app.route("/", harnessesRouter);
  app.route("/", webhooksRouter);

  registerOpenApiDocument(app);

  app.notFound((c) => {
    const allow = allowedMethods(app, c.req.path);
    if (allow.length > 0) {
      throw new ApiError("method_not_allowed", { headers: { allow: allow.join(", ") } });
    }
    throw new ApiError("route_not_found");
  });
  app.onError(renderError);
  return app;
}
