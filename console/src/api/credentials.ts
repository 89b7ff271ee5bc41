import { readKept, writeKept } from "./kept";

/** How the console authenticates: an API key, or a signed-in user's access and refresh tokens. */
export type Credentials =
  | { kind: "api_key"; apiKey: string }
  | { kind: "password"; email: string; accessToken: string; refreshToken: string; expiresAt: number };

/** What a signed-in tab keeps: its credentials and the organization it acts in (X-Org-Id). */
export interface SignIn {
  credentials: Credentials;
  orgId: string | null;
}

const KEY = "sign-in";

export function loadSignIn(): SignIn | null {
  const kept = readKept<SignIn>(KEY);
  return kept && typeof kept === "object" && kept.credentials ? kept : null;
}

export function saveSignIn(signIn: SignIn): void {
  writeKept(KEY, signIn);
}

/** The public local-dev key that `npm run dev` seeds (README.md: LOCAL-DEV-ONLY). */
export const DEV_API_KEY = `evr_${"d".repeat(64)}`;
export const DEV_EMAIL = "dev@example.com";
export const DEV_PASSWORD = "dev-password-local-only";

/**
 * The dev credentials are offered only when the console is opened on this machine: they exist
 * only in a local database seeded by `npm run dev`, and a deployed Worker never has them.
 */
export function isLocalDev(hostname: string = location.hostname): boolean {
  return hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]";
}
