import type { z } from "@hono/zod-openapi";
import { and, asc, desc, eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { memberships, orgs } from "../db/schema";
import type { Role } from "../env";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { nowIso } from "../lib/time";
import type { CreateOrganizationSchema, UpdateOrganizationSchema } from "../schemas/orgs";
import { type Organization, toOrganization } from "../schemas/orgs";

type OrgRow = typeof orgs.$inferSelect;

/** The caller's role in an org, or 404 `org_not_found`: not a member and nonexistent look the same. */
export async function roleIn(db: Database, userId: string, orgId: string): Promise<Role> {
  const row = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
    .get();
  if (!row) throw new ApiError("org_not_found");
  return row.role;
}

/** An org the caller is known to be a member of (the principal's org, or one `roleIn` approved). */
export async function getOrganization(db: Database, orgId: string, role: Role): Promise<Organization> {
  const row = await db.select().from(orgs).where(eq(orgs.id, orgId)).get();
  if (!row) throw new ApiError("org_not_found");
  return toOrganization(row, role);
}

/** The orgs the user belongs to, newest membership first. */
export async function listOrganizations(db: Database, userId: string): Promise<Organization[]> {
  const rows = await db
    .select({ org: orgs, role: memberships.role })
    .from(memberships)
    .innerJoin(orgs, eq(orgs.id, memberships.orgId))
    .where(eq(memberships.userId, userId))
    .orderBy(desc(memberships.createdAt), asc(orgs.id));
  return rows.map((r) => toOrganization(r.org, r.role));
}

/** Creates an org with the caller as its owner, in one batch. */
export async function createOrganization(
  db: Database,
  userId: string,
  input: z.infer<typeof CreateOrganizationSchema>,
): Promise<Organization> {
  const now = nowIso();
  const row: OrgRow = { id: newId("org"), name: input.name, createdAt: now, updatedAt: now };
  await db.batch([db.insert(orgs).values(row), db.insert(memberships).values({ orgId: row.id, userId, role: "owner", createdAt: now })]);
  return toOrganization(row, "owner");
}

/** Renames an org (partial update; an empty body changes nothing). */
export async function updateOrganization(
  db: Database,
  orgId: string,
  role: Role,
  input: z.infer<typeof UpdateOrganizationSchema>,
): Promise<Organization> {
  if (input.name === undefined) return getOrganization(db, orgId, role);
  const row = await db.update(orgs).set({ name: input.name, updatedAt: nowIso() }).where(eq(orgs.id, orgId)).returning().get();
  if (!row) throw new ApiError("org_not_found");
  return toOrganization(row, role);
}
