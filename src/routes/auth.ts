import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-router";
import { traits } from "../middleware/traits";
import { AuthTokensSchema, LoginSchema, LogoutSchema, MeSchema, RefreshSchema, RegisterSchema, toUser } from "../schemas/auth";
import { errorResponses, jsonBody, jsonResponse } from "../schemas/common";
import { getUserRow, login, logout, refresh, register } from "../services/auth";
import { getOrganization } from "../services/orgs";

const tags = ["Auth"];

const registerRoute = createRoute({
  method: "post",
  path: "/v1/auth/register",
  middleware: traits({ access: "public", limitedPerAddress: true }),
  operationId: "register",
  tags,
  summary: "Create an account and its personal organization (you are its owner); returns tokens",
  security: [],
  request: { body: jsonBody(RegisterSchema) },
  responses: { 201: jsonResponse(AuthTokensSchema, "The new user, signed in"), ...errorResponses(400, 409, 413, 415, 429, 503) },
});

const loginRoute = createRoute({
  method: "post",
  path: "/v1/auth/login",
  middleware: traits({ access: "public", limitedPerAddress: true }),
  operationId: "login",
  tags,
  summary: "Sign in with email and password",
  security: [],
  request: { body: jsonBody(LoginSchema) },
  responses: { 200: jsonResponse(AuthTokensSchema, "Signed in"), ...errorResponses(400, 401, 413, 415, 429, 503) },
});

const refreshRoute = createRoute({
  method: "post",
  path: "/v1/auth/refresh",
  middleware: traits({ access: "public" }),
  operationId: "refreshToken",
  tags,
  summary: "Exchange a refresh token for a new access and refresh token (single use; reuse revokes the sign-in)",
  security: [],
  request: { body: jsonBody(RefreshSchema) },
  responses: { 200: jsonResponse(AuthTokensSchema, "New tokens"), ...errorResponses(400, 401, 413, 415, 429) },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/v1/auth/logout",
  middleware: traits({ access: "signed-in" }),
  operationId: "logout",
  tags,
  summary: "Revoke a refresh token of yours and every token rotated from the same sign-in",
  request: { body: jsonBody(LogoutSchema) },
  responses: {
    204: { description: "Signed out (also when the token was unknown or already revoked)" },
    ...errorResponses(400, 401, 413, 415, 429),
  },
});

const meRoute = createRoute({
  method: "get",
  path: "/v1/auth/me",
  middleware: traits({ access: "signed-in" }),
  operationId: "getMe",
  tags,
  summary:
    "The caller, the organization this request acts in, and the caller's role there (both null when the caller belongs to no organization)",
  responses: { 200: jsonResponse(MeSchema, "The caller"), ...errorResponses(400, 401, 403, 404, 429) },
});

export const authRouter = createRouter()
  .openapi(registerRoute, async (c) => c.json(await register(c.var.db, c.env, c.req.valid("json")), 201))
  .openapi(loginRoute, async (c) => c.json(await login(c.var.db, c.env, c.req.valid("json")), 200))
  .openapi(refreshRoute, async (c) => c.json(await refresh(c.var.db, c.env, c.req.valid("json").refresh_token), 200))
  .openapi(logoutRoute, async (c) => {
    await logout(c.var.db, c.var.caller.userId, c.req.valid("json").refresh_token);
    return c.body(null, 204);
  })
  .openapi(meRoute, async (c) => {
    const principal = c.var.principal ?? null;
    const [user, org] = await Promise.all([
      getUserRow(c.var.db, c.var.caller.userId),
      principal ? getOrganization(c.var.db, principal.orgId, principal.role) : null,
    ]);
    return c.json({ user: toUser(user), org, role: principal?.role ?? null }, 200);
  });
