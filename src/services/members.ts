import type { z } from "@hono/zod-openapi";
import { and, asc, eq, isNull, ne, notExists, or, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { apiKeys, memberships, users } from "../db/schema";
import type { Role } from "../env";
import { ApiError } from "../lib/errors";
import { isUniqueViolation } from "../lib/redact";
import { nowIso } from "../lib/time";
import type { AddMemberSchema } from "../schemas/orgs";
import { type Member, type MemberRow, toMember } from "../schemas/orgs";
import { normalizeEmail } from "./auth";
import { principalCache } from "./principal-cache";

const memberColumns = {
  userId: memberships.userId,
  email: users.email,
  name: users.name,
  role: memberships.role,
  createdAt: memberships.createdAt,
};

/**
 * True while the org keeps another owner. Written into the UPDATE/DELETE itself, so two owners
 * demoting each other at once cannot leave the org with none (each statement is atomic).
 */
function anotherOwnerRemains(orgId: string) {
  return sql`(select count(*) from memberships as owners where owners.org_id = ${orgId} and owners.role = 'owner') > 1`;
}

/** Owners alone may grant owner or change what an owner is. */
function assertMayTouch(actorRole: Role, targetRole: Role, newRole: Role | null): void {
  if (actorRole !== "owner" && (targetRole === "owner" || newRole === "owner")) {
    throw new ApiError("forbidden", { detail: "Only owners can grant the owner role or change an owner" });
  }
}

/** The org's members, in the order they joined. */
export async function listMembers(db: Database, orgId: string): Promise<Member[]> {
  const rows = await db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.orgId, orgId))
    .orderBy(asc(memberships.createdAt), asc(memberships.userId));
  return rows.map(toMember);
}

/** One member of the org; a user who is not a member is 404 `member_not_found`. */
export async function getMember(db: Database, orgId: string, userId: string): Promise<Member> {
  return toMember(await getMemberRow(db, orgId, userId));
}

async function getMemberRow(db: Database, orgId: string, userId: string): Promise<MemberRow> {
  const row = await db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
    .get();
  if (!row) throw new ApiError("member_not_found");
  return row;
}

/** Adds an existing user (by email) to the org. Already a member: 409 `conflict`. */
export async function addMember(db: Database, actorRole: Role, orgId: string, input: z.infer<typeof AddMemberSchema>): Promise<Member> {
  assertMayTouch(actorRole, "member", input.role);
  const user = await db
    .select()
    .from(users)
    .where(eq(users.email, normalizeEmail(input.email)))
    .get();
  if (!user) throw new ApiError("user_not_found", { detail: "No user has this email" });
  const createdAt = nowIso();
  try {
    await db.insert(memberships).values({ orgId, userId: user.id, role: input.role, createdAt });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ApiError("conflict", { detail: "This user is already a member" });
    throw err;
  }
  return toMember({ userId: user.id, email: user.email, name: user.name, role: input.role, createdAt });
}

/** Changes a member's role; demoting the last owner is a 422 `invalid_state`. */
export async function updateMember(db: Database, actorRole: Role, orgId: string, userId: string, role: Role): Promise<Member> {
  const target = await getMemberRow(db, orgId, userId);
  assertMayTouch(actorRole, target.role, role);
  if (target.role === role) return toMember(target);
  const updated = await db
    .update(memberships)
    .set({ role })
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId), or(ne(memberships.role, "owner"), anotherOwnerRemains(orgId))))
    .returning({ userId: memberships.userId });
  if (updated.length === 0) throw new ApiError("invalid_state", { detail: "An organization must keep at least one owner" });
  principalCache.clear();
  return toMember({ ...target, role });
}

/**
 * Removes a member and, in the same batch, revokes their API keys of this org (they would stop
 * working anyway; revoking makes that visible and permanent). The last owner cannot be removed.
 */
export async function removeMember(db: Database, actorRole: Role, orgId: string, userId: string): Promise<void> {
  const target = await getMemberRow(db, orgId, userId);
  assertMayTouch(actorRole, target.role, null);
  const [deleted] = await db.batch([
    db
      .delete(memberships)
      .where(
        and(eq(memberships.orgId, orgId), eq(memberships.userId, userId), or(ne(memberships.role, "owner"), anotherOwnerRemains(orgId))),
      )
      .returning({ userId: memberships.userId }),
    db
      .update(apiKeys)
      .set({ revokedAt: nowIso() })
      .where(
        and(
          eq(apiKeys.orgId, orgId),
          eq(apiKeys.userId, userId),
          isNull(apiKeys.revokedAt),
          notExists(
            db
              .select({ one: sql`1` })
              .from(memberships)
              .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId))),
          ),
        ),
      ),
  ]);
  if (deleted.length === 0) throw new ApiError("invalid_state", { detail: "An organization must keep at least one owner" });
  principalCache.clear();
}
