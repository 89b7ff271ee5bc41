import { sign, verify } from "hono/jwt";
import { ApiError } from "./errors";

/** Access tokens live 15 minutes (spec §4). */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
/** Marks our access tokens, so no other JWT signed with the same secret is ever accepted as one. */
const TOKEN_USE = "access";

/** HS256 wants a key at least as long as its 32-byte hash; a shorter one can be brute-forced offline from any token. */
const MIN_JWT_SECRET_BYTES = 32;

/**
 * The secret, or a 500 whose cause is logged (never the secret itself): missing or shorter than
 * 32 bytes, no token may be signed or accepted.
 */
export function jwtSecret(env: { JWT_SECRET?: string }): string {
  const secret = env.JWT_SECRET;
  if (!secret) throw new ApiError("internal_error", { cause: new Error("JWT_SECRET is not configured") });
  if (new TextEncoder().encode(secret).length < MIN_JWT_SECRET_BYTES) {
    throw new ApiError("internal_error", { cause: new Error(`JWT_SECRET too short: it needs at least ${MIN_JWT_SECRET_BYTES} bytes`) });
  }
  return secret;
}

/** Signs a 15-minute HS256 access token for the user. */
export async function signAccessToken(secret: string, userId: string, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  return sign({ sub: userId, token_use: TOKEN_USE, iat, exp: iat + ACCESS_TOKEN_TTL_SECONDS }, secret, "HS256");
}

/**
 * The user id of a valid access token, and when it expires (ms). Any defect is a 401 `unauthorized`; an expired token is
 * `token_expired`, but only once its signature is proven: hono checks `exp` before the signature,
 * so the expiry is checked here, after it, and a forged token never learns it "expired".
 * Errors from hono carry the token in their message, so they are dropped, never logged.
 */
export async function verifyAccessToken(secret: string, token: string, now = Date.now()): Promise<{ userId: string; expiresAt: number }> {
  let payload: Record<string, unknown>;
  try {
    payload = await verify(token, secret, { alg: "HS256", exp: false });
  } catch {
    throw new ApiError("unauthorized");
  }
  const { sub, exp, token_use: use } = payload;
  if (typeof sub !== "string" || typeof exp !== "number" || use !== TOKEN_USE) throw new ApiError("unauthorized");
  if (exp <= Math.floor(now / 1000)) throw new ApiError("token_expired");
  return { userId: sub, expiresAt: exp * 1000 };
}
