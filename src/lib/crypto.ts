/**
 * Hashing and random secrets for auth, all on WebCrypto (no Node APIs).
 * Nothing here logs: callers hold passwords, tokens and keys that must never reach a log line.
 */

const encoder = new TextEncoder();

/** workerd refuses PBKDF2 above 100,000 iterations, so this is both the default and the ceiling. */
export const PBKDF2_ITERATIONS = 100_000;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const PASSWORD_HASH_SHAPE = /^pbkdf2_sha256\$(\d{1,6})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** `evr_` + 64 lowercase hex: the API key format the official API uses (and the dev seed relies on). */
export const API_KEY_SHAPE = /^evr_[0-9a-f]{64}$/;
/** Chars of an API key kept in the clear for listing: `evr_` + 8 hex. */
const API_KEY_PREFIX_LENGTH = 12;

function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) out[i] = binary.charCodeAt(i);
  return out;
}

/** Lowercase hex SHA-256 of the UTF-8 text. */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text))));
}

/** `byteCount` cryptographically random bytes as lowercase hex. */
function randomHex(byteCount: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(byteCount)));
}

/** Compares without an early exit, so the time taken does not reveal where two secrets differ. */
function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i += 1) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

async function pbkdf2(password: string, salt: Uint8Array, iterations: number, bytes: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, bytes * 8);
  return new Uint8Array(bits);
}

/** A salted PBKDF2-SHA256 hash: `pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>`. */
export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await pbkdf2(password, salt, iterations, HASH_BYTES);
  return `pbkdf2_sha256$${iterations}$${toBase64(salt)}$${toBase64(hash)}`;
}

/**
 * True when `password` matches `stored`. A malformed stored value (or one whose iteration count
 * workerd cannot run) is simply a mismatch, so an odd row can never lock the route into a 500.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = PASSWORD_HASH_SHAPE.exec(stored);
  if (!m) return false;
  const iterations = Number(m[1]);
  if (iterations < 1 || iterations > PBKDF2_ITERATIONS) return false;
  const expected = fromBase64(m[3] ?? "");
  if (expected.length === 0) return false;
  const actual = await pbkdf2(password, fromBase64(m[2] ?? ""), iterations, expected.length);
  return timingSafeEqual(actual, expected);
}

/**
 * A stored hash that matches no password, with the same cost as a real one: login hashes
 * against it when the email is unknown, so response time does not reveal whether a user exists.
 */
export const DUMMY_PASSWORD_HASH = `pbkdf2_sha256$${PBKDF2_ITERATIONS}$${"A".repeat(22)}==$${"A".repeat(43)}=`;

/** A new API key, its display prefix and the hash that is stored instead of it. */
export async function generateApiKey(): Promise<{ key: string; prefix: string; hash: string }> {
  const key = `evr_${randomHex(32)}`;
  return { key, prefix: key.slice(0, API_KEY_PREFIX_LENGTH), hash: await sha256Hex(key) };
}

/** A new opaque refresh token (`rt_` + 64 hex) and the hash that is stored instead of it. */
export async function generateRefreshToken(): Promise<{ token: string; hash: string }> {
  const token = `rt_${randomHex(32)}`;
  return { token, hash: await sha256Hex(token) };
}
