import { createMiddleware } from "hono/factory";
import type { OrgEnv } from "../env";
import { ApiError } from "../lib/errors";
import { idFormatMessage, isId } from "../lib/ids";
import { roleIn } from "../services/orgs";

/**
 * Route middleware for /v1/orgs/{org_id}/…: the request acts in the org of the path, with the
 * caller's role there, so `requireRole` after it checks the right org. Not a member: 404
 * `org_not_found`, exactly as for an org that does not exist. An API key only reaches its own org.
 * It runs before the route's validators, so it checks the id's shape itself.
 */
export function orgFromPath() {
  return createMiddleware<OrgEnv>(async (c, next) => {
    const orgId = c.req.param("org_id") ?? "";
    if (!isId("org", orgId)) {
      throw new ApiError("invalid_id", { errors: [{ path: "path.org_id", message: idFormatMessage("org") }] });
    }
    const principal = c.var.principal;
    if (principal.orgId !== orgId) {
      if (principal.apiKeyId !== null) throw new ApiError("org_not_found");
      c.set("principal", { ...principal, orgId, role: await roleIn(c.var.db, principal.userId, orgId) });
    }
    await next();
  });
}
