/**
 * The credential a stream was opened with, as the Worker authenticated it: the user, the API key
 * (null for an access token) and when the credential stops being valid (an access token's `exp`,
 * an API key's expiry; null when it never expires). It rides in the subscription and in the
 * subscriber's attachment, so the object can end the stream when the credential does.
 */
export interface StreamCredential {
  userId: string;
  apiKeyId: string | null;
  expiresAt: number | null;
}

/** One credential's name: its API key, or the user for an access token. */
export function credentialKey(credential: StreamCredential): string {
  return credential.apiKeyId !== null ? `key:${credential.apiKeyId}` : `user:${credential.userId}`;
}

export function isExpired(credential: StreamCredential, now: number): boolean {
  return credential.expiresAt !== null && credential.expiresAt <= now;
}
