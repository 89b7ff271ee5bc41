import type { webhooks } from "../db/schema";
import { decryptSecret, type EncryptionEnv } from "../lib/encryption";

type SecretColumns = Pick<typeof webhooks.$inferSelect, "id" | "secretEncrypted" | "previousSecretEncrypted" | "previousSecretExpiresAt">;

/** The secrets a delivery is signed with now: the current one, and the previous one while its rotation window lasts. */
export async function signingSecrets(env: EncryptionEnv, row: SecretColumns, now = Date.now()): Promise<string[]> {
  const secrets = [await decryptSecret(env, row.secretEncrypted, row.id)];
  const previousValid =
    row.previousSecretEncrypted !== null && row.previousSecretExpiresAt !== null && Date.parse(row.previousSecretExpiresAt) > now;
  if (previousValid && row.previousSecretEncrypted !== null) secrets.push(await decryptSecret(env, row.previousSecretEncrypted, row.id));
  return secrets;
}
