import { z } from "@hono/zod-openapi";
import type { apiKeys, users } from "../db/schema";
import { boundedString } from "./common";
import { OrganizationSchema, RoleSchema } from "./orgs";

const Timestamp = z.string().openapi({ example: "2026-11-22T18:00:00.000Z" });

/** Passwords: at least 8 characters; the upper bound only keeps hashing cheap. */
const PASSWORD_LIMITS = { min: 8, max: 1024 } as const;

const Email = z.email().max(254).openapi({ description: "Compared case-insensitively", example: "ada@example.com" });
const Password = z
  .string()
  .min(PASSWORD_LIMITS.min)
  .max(PASSWORD_LIMITS.max)
  .openapi({ description: "At least 8 characters; never stored or logged", example: "correct horse battery staple" });
const RefreshToken = z
  .string()
  .min(1)
  .max(256)
  .openapi({ description: "The opaque refresh token from login, register or refresh", example: "rt_9f8e…" });

const UserSchema = z
  .object({
    id: z.string().openapi({ example: "user_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    email: z.string().openapi({ example: "ada@example.com" }),
    name: z.string().openapi({ example: "Ada Lovelace" }),
    default_org_id: z
      .string()
      .openapi({ description: "The org used when a request sends no X-Org-Id", example: "org_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("User");

export const RegisterSchema = z
  .object({
    email: Email,
    password: Password,
    name: boundedString(256).pipe(z.string().trim().min(1)).openapi({ example: "Ada Lovelace" }),
  })
  .openapi("RegisterRequest");

export const LoginSchema = z
  .object({ email: Email, password: z.string().min(1).max(PASSWORD_LIMITS.max).openapi({ example: "correct horse battery staple" }) })
  .openapi("LoginRequest");

export const RefreshSchema = z.object({ refresh_token: RefreshToken }).openapi("RefreshRequest");

export const LogoutSchema = z.object({ refresh_token: RefreshToken }).openapi("LogoutRequest");

export const AuthTokensSchema = z
  .object({
    access_token: z.string().openapi({ description: "HS256 JWT; send as `Authorization: Bearer <token>`" }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().openapi({ description: "Seconds until the access token expires", example: 900 }),
    refresh_token: z.string().openapi({ description: "Opaque, single-use, valid 30 days; exchange it at /v1/auth/refresh" }),
    refresh_expires_in: z.number().int().openapi({ example: 2592000 }),
    user: UserSchema,
  })
  .openapi("AuthTokens");

export const MeSchema = z
  .object({
    user: UserSchema,
    org: OrganizationSchema.nullable().openapi({ description: "null when the caller belongs to no organization (they can create one)" }),
    role: RoleSchema.nullable().openapi({ description: "The caller's role in `org`; null with it" }),
  })
  .openapi("Me", { description: "The caller, the organization this request acts in, and the caller's role there" });

export const ApiKeySchema = z
  .object({
    id: z.string().openapi({ example: "key_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    name: z.string().openapi({ example: "CI" }),
    key_prefix: z.string().openapi({ description: "The first 12 characters of the key", example: "evr_1a2b3c4d" }),
    org_id: z.string().openapi({ description: "The organization the key acts in (the one it was created in)" }),
    expires_at: Timestamp.nullable().openapi({ description: "null: never expires" }),
    last_used_at: Timestamp.nullable().openapi({ description: "Updated at most about once a minute" }),
    created_at: Timestamp,
  })
  .openapi("ApiKey");

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: "The full key. Shown only in this response; store it now", example: "evr_1a2b3c4d…" }),
}).openapi("CreatedApiKey");

export const CreateApiKeySchema = z
  .object({
    name: boundedString(256).pipe(z.string().trim().min(1)).openapi({ example: "CI" }),
    expires_in_days: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .openapi({ description: "Days until the key expires; omit for a key that does not expire", example: 90 }),
    expires_at: z.iso
      .datetime({ offset: true })
      .refine((v) => Date.parse(v) > Date.now(), "Must be in the future")
      .optional()
      .openapi({
        description: "An RFC 3339 instant in the future; an alternative to expires_in_days",
        example: "2027-01-01T00:00:00.000Z",
      }),
  })
  .refine((v) => v.expires_in_days === undefined || v.expires_at === undefined, {
    message: "Give expires_in_days or expires_at, not both",
    path: ["expires_at"],
  })
  .openapi("CreateApiKey");

/** The one mapping from a key row to the API object: neither the key nor its hash ever leaves. */
export function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    key_prefix: row.prefix,
    org_id: row.orgId,
    expires_at: row.expiresAt,
    last_used_at: row.lastUsedAt,
    created_at: row.createdAt,
  };
}

/** The one mapping from a user row to the API object: the password hash never leaves. */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    default_org_id: row.defaultOrgId,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export type User = z.infer<typeof UserSchema>;
export type ApiKey = z.infer<typeof ApiKeySchema>;
type UserRow = typeof users.$inferSelect;
type ApiKeyRow = typeof apiKeys.$inferSelect;
