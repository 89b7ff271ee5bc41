import { z } from "@hono/zod-openapi";
import type { orgs } from "../db/schema";
import type { Role } from "../env";
import { boundedString } from "./common";

const Timestamp = z.string().openapi({ example: "2026-11-22T18:00:00.000Z" });

export const RoleSchema = z.enum(["owner", "admin", "member"]).openapi("Role", {
  description:
    "owner > admin > member. Members use agents, sessions and messages; " +
    "admins also manage providers, models and members; owners also manage the organization",
  example: "member",
});

const OrgName = boundedString(256).pipe(z.string().trim().min(1)).openapi({ description: "Display name", example: "Acme Corp" });

export const OrganizationSchema = z
  .object({
    id: z.string().openapi({ example: "org_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    name: z.string().openapi({ example: "Acme Corp" }),
    role: RoleSchema.openapi({ description: "The caller's role in this organization" }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Organization");

export const CreateOrganizationSchema = z.object({ name: OrgName }).openapi("CreateOrganization");

export const UpdateOrganizationSchema = z.object({ name: OrgName }).partial().openapi("UpdateOrganization");

export const MemberSchema = z
  .object({
    user_id: z.string().openapi({ example: "user_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    email: z.string().openapi({ example: "ada@example.com" }),
    name: z.string().openapi({ example: "Ada Lovelace" }),
    role: RoleSchema,
    created_at: Timestamp.openapi({ description: "When the user joined the organization" }),
  })
  .openapi("Member");

export const AddMemberSchema = z
  .object({
    email: z.email().max(254).openapi({ description: "The email of an existing user", example: "ada@example.com" }),
    role: RoleSchema.default("member").openapi({ description: "Only owners can grant `owner`" }),
  })
  .openapi("AddMember");

export const UpdateMemberSchema = z
  .object({ role: RoleSchema.openapi({ description: "Only owners can grant `owner` or change an owner's role" }) })
  .openapi("UpdateMember");

export type Organization = z.infer<typeof OrganizationSchema>;
export type Member = z.infer<typeof MemberSchema>;
type OrgRow = typeof orgs.$inferSelect;
/** A membership joined with its user. */
export interface MemberRow {
  userId: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
}

/** The one mapping from an org row (and the caller's role in it) to the API object. */
export function toOrganization(row: OrgRow, role: Role): Organization {
  return { id: row.id, name: row.name, role, created_at: row.createdAt, updated_at: row.updatedAt };
}

/** The one mapping from a membership (joined with its user) to the API object. */
export function toMember(row: MemberRow): Member {
  return { user_id: row.userId, email: row.email, name: row.name, role: row.role, created_at: row.createdAt };
}
