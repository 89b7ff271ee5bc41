import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { createDb } from "../../src/db/client";
import { llmProviders } from "../../src/db/schema";

/** A fresh random ENCRYPTION_KEY value, as `openssl rand -base64 32` would make (for rotation and foreign-key tests). */
export function randomEncryptionKey(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
}

/** The stored ciphertext of a provider's key, read straight from D1. */
export async function storedCiphertext(providerId: string): Promise<string | null> {
  const row = await createDb(env.DB).select().from(llmProviders).where(eq(llmProviders.id, providerId)).get();
  return row?.apiKeyEncrypted ?? null;
}
