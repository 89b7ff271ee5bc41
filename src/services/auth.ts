import type { z } from "@hono/zod-openapi";
import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../db/client";
import { memberships, orgs, refreshTokens, users } from "../db/schema";
import { ACCESS_TOKEN_TTL_SECONDS, jwtSecret, signAccessToken } from "../lib/access-token";
import { DUMMY_PASSWORD_HASH, generateRefreshToken, hashPassword, sha256Hex, verifyPassword } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { isUniqueViolation, secretQuery } from "../lib/redact";
import { nowIso } from "../lib/time";
import type { AuthTokensSchema, LoginSchema, RegisterSchema } from "../schemas/auth";
import { toUser } from "../schemas/auth";

export type UserRow = typeof users.$inferSelect;
type AuthTokens = z.infer<typeof AuthTokensSchema>;

/** Refresh tokens live 30 days (spec §4). */
const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;

/** Emails are unique case-insensitively: stored and looked up trimmed and lowercased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A fresh access token and a new refresh token in `familyId` (one family per sign-in). */
async function issueTokens(db: Database, secret: string, user: UserRow, familyId: string): Promise<AuthTokens> {
  const { token, hash } = await generateRefreshToken();
  const now = Date.now();
  await secretQuery(() =>
    db.insert(refreshTokens).values({
      id: newId("rtok"),
      userId: user.id,
      familyId,
      tokenHash: hash,
      expiresAt: new Date(now + REFRESH_TOKEN_TTL_SECONDS * 1000).toISOString(),
      createdAt: new Date(now).toISOString(),
    }),
  );
  return {
    access_token: await signAccessToken(secret, user.id, now),
    token_type: "Bearer",
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
    refresh_token: token,
    refresh_expires_in: REFRESH_TOKEN_TTL_SECONDS,
    user: toUser(user),
  };
}

/** Creates a user, their personal org and the owner membership in one batch, then signs them in. */
export async function register(db: Database, env: { JWT_SECRET?: string }, input: z.infer<typeof RegisterSchema>): Promise<AuthTokens> {
  // Checked first: a missing secret must not leave behind an account whose owner got a 500.
  const secret = jwtSecret(env);
  const email = normalizeEmail(input.email);
  const taken = await db.select({ id: users.id }).from(users).where(eq(users.email, email)).get();
  if (taken) throw new ApiError("email_taken");
  const now = nowIso();
  const orgId = newId("org");
  const user: UserRow = {
    id: newId("user"),
    email,
    name: input.name,
    passwordHash: await hashPassword(input.password),
    defaultOrgId: orgId,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await secretQuery(() =>
      db.batch([
        db.insert(orgs).values({ id: orgId, name: `${input.name}'s organization`, createdAt: now, updatedAt: now }),
        db.insert(users).values(user),
        db.insert(memberships).values({ orgId, userId: user.id, role: "owner", createdAt: now }),
      ]),
    );
  } catch (err) {
    // Two registrations of one email racing past the check above: the unique index decides.
    if (isUniqueViolation(err)) throw new ApiError("email_taken");
    throw err;
  }
  return issueTokens(db, secret, user, newId("rtok"));
}

/** Signs a user in. Unknown email and wrong password are the same 401, after the same hashing work. */
export async function login(db: Database, env: { JWT_SECRET?: string }, input: z.infer<typeof LoginSchema>): Promise<AuthTokens> {
  const secret = jwtSecret(env);
  const row = await db
    .select()
    .from(users)
    .where(eq(users.email, normalizeEmail(input.email)))
    .get();
  const matches = await verifyPassword(input.password, row?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!row || !matches) throw new ApiError("unauthorized", { detail: "Invalid email or password" });
  return issueTokens(db, secret, row, newId("rtok"));
}

async function revokeFamily(db: Database, familyId: string): Promise<void> {
  await db
    .update(refreshTokens)
    .set({ revokedAt: nowIso() })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
}

/**
 * Exchanges a refresh token for a new pair (single use). A token that was already used means
 * it leaked or was replayed: the whole family (that sign-in) is revoked and the caller gets 401.
 */
export async function refresh(db: Database, env: { JWT_SECRET?: string }, token: string): Promise<AuthTokens> {
  const secret = jwtSecret(env);
  const hash = await sha256Hex(token);
  const row = await secretQuery(() => db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hash)).get());
  if (!row) throw new ApiError("unauthorized", { detail: "Invalid refresh token" });
  if (row.usedAt !== null) {
    await revokeFamily(db, row.familyId);
    throw new ApiError("refresh_token_reused");
  }
  if (row.revokedAt !== null || Date.parse(row.expiresAt) <= Date.now()) {
    throw new ApiError("unauthorized", { detail: "Invalid refresh token" });
  }
  // The conditional update is the single-use guarantee: of two concurrent refreshes, one wins.
  const claimed = await db
    .update(refreshTokens)
    .set({ usedAt: nowIso() })
    .where(and(eq(refreshTokens.id, row.id), isNull(refreshTokens.usedAt), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
  if (claimed.length === 0) {
    await revokeFamily(db, row.familyId);
    throw new ApiError("refresh_token_reused");
  }
  const user = await db.select().from(users).where(eq(users.id, row.userId)).get();
  if (!user) throw new ApiError("unauthorized", { detail: "Invalid refresh token" });
  return issueTokens(db, secret, user, row.familyId);
}

/** Ends the sign-in the refresh token belongs to (its whole family), if it is the caller's; silent otherwise. */
export async function logout(db: Database, userId: string, token: string): Promise<void> {
  const hash = await sha256Hex(token);
  const row = await secretQuery(() =>
    db
      .select({ familyId: refreshTokens.familyId })
      .from(refreshTokens)
      .where(and(eq(refreshTokens.tokenHash, hash), eq(refreshTokens.userId, userId)))
      .get(),
  );
  if (row) await revokeFamily(db, row.familyId);
}

/** The user row of an authenticated caller. */
export async function getUserRow(db: Database, userId: string): Promise<UserRow> {
  const row = await db.select().from(users).where(eq(users.id, userId)).get();
  if (!row) throw new ApiError("unauthorized");
  return row;
}
