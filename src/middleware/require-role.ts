import { createMiddleware } from "hono/factory";
import type { OrgEnv, Role } from "../env";
import { ApiError } from "../lib/errors";

const RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };

/** True when `role` is at least `minimum` in owner > admin > member. */
function hasRole(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}

/** Route middleware: 403 `forbidden` unless the caller's role in the request's org is at least `minimum`. */
export function requireRole(minimum: Role) {
  return createMiddleware<OrgEnv>(async (c, next) => {
    if (!hasRole(c.var.principal.role, minimum)) throw new ApiError("forbidden");
    await next();
  });
}
