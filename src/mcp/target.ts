import { decryptSecret, type EncryptionEnv } from "../lib/encryption";
import type { McpTarget } from "./client";

/** Where to call a stored server and with which headers (decrypted, bound to the server id: never log the result). */
export async function mcpTargetOf(
  env: EncryptionEnv,
  row: { id: string; url: string; headersEncrypted: string | null },
): Promise<McpTarget> {
  const headers =
    row.headersEncrypted === null ? {} : (JSON.parse(await decryptSecret(env, row.headersEncrypted, row.id)) as Record<string, string>);
  return { url: row.url, headers };
}
