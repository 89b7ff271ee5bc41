import type { Env } from "../env";

/**
 * AES-256-GCM for secrets at rest (provider API keys), with WebCrypto only.
 *
 * Stored form: `v1:<key id>:<iv base64>:<ciphertext base64>`. The key id is the first 8 hex
 * digits of SHA-256 over the raw key, so a stored value names the key that sealed it and
 * rotation works by setting the new key as ENCRYPTION_KEY and the old one as
 * ENCRYPTION_KEY_PREVIOUS. Every value is sealed with additional data (`context`, e.g. the
 * provider id) so a ciphertext copied onto another row fails authentication instead of
 * decrypting there.
 */

/** The bindings this module reads. */
export type EncryptionEnv = Pick<Env, "ENCRYPTION_KEY" | "ENCRYPTION_KEY_PREVIOUS">;

/**
 * A misconfigured key or a stored value that cannot be opened. Messages name the problem,
 * never a key, plaintext or ciphertext, because the root error handler logs them.
 */
export class EncryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EncryptionError";
  }
}

const VERSION = "v1";
const IV_BYTES = 12;
const KEY_BYTES = 32;

interface SealingKey {
  id: string;
  key: CryptoKey;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Strict base64 decode; null (not an exception) on malformed input so callers choose the error. */
function fromBase64(value: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return null;
  const binary = atob(value);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) out[i] = binary.charCodeAt(i);
  return out;
}

function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** Imports one configured key; the error names the variable, never its value. */
async function importKey(value: string | undefined, name: keyof EncryptionEnv): Promise<SealingKey> {
  if (!value || value.trim() === "") throw new EncryptionError(`${name} is not set`);
  const raw = fromBase64(value.trim());
  if (!raw || raw.length !== KEY_BYTES) throw new EncryptionError(`${name} must be base64 of exactly 32 bytes`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { id: toHex(digest).slice(0, 8), key };
}

/** The key id (fingerprint) of ENCRYPTION_KEY: what new values are sealed with. */
export async function currentKeyId(env: EncryptionEnv): Promise<string> {
  return (await importKey(env.ENCRYPTION_KEY, "ENCRYPTION_KEY")).id;
}

/** Seals `plaintext` with ENCRYPTION_KEY, bound to `context`. Throws EncryptionError when the key is missing or invalid. */
export async function encryptSecret(env: EncryptionEnv, plaintext: string, context: string): Promise<string> {
  const { id, key } = await importKey(env.ENCRYPTION_KEY, "ENCRYPTION_KEY");
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) },
    key,
    new TextEncoder().encode(plaintext),
  );
  return `${VERSION}:${id}:${toBase64(iv)}:${toBase64(new Uint8Array(sealed))}`;
}

interface ParsedCiphertext {
  keyId: string;
  iv: Uint8Array;
  data: Uint8Array;
}

function parse(stored: string): ParsedCiphertext {
  const parts = stored.split(":");
  const [version, keyId, ivText, dataText] = parts;
  const iv = ivText === undefined ? null : fromBase64(ivText);
  const data = dataText === undefined ? null : fromBase64(dataText);
  if (parts.length !== 4 || version !== VERSION || !keyId || !iv || iv.length !== IV_BYTES || !data || data.length === 0) {
    throw new EncryptionError("stored ciphertext is malformed");
  }
  return { keyId, iv, data };
}

/** The configured key whose id the stored value names: ENCRYPTION_KEY first, then ENCRYPTION_KEY_PREVIOUS. */
async function keyFor(env: EncryptionEnv, keyId: string): Promise<SealingKey> {
  const current = await importKey(env.ENCRYPTION_KEY, "ENCRYPTION_KEY");
  if (current.id === keyId) return current;
  if (env.ENCRYPTION_KEY_PREVIOUS) {
    const previous = await importKey(env.ENCRYPTION_KEY_PREVIOUS, "ENCRYPTION_KEY_PREVIOUS");
    if (previous.id === keyId) return previous;
  }
  throw new EncryptionError(`stored ciphertext was sealed with key ${keyId}, which is neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS`);
}

/**
 * Opens a value sealed by encryptSecret with the same `context`. Throws EncryptionError when
 * the value is malformed, tampered with, bound to another context or sealed with an unknown key.
 */
export async function decryptSecret(env: EncryptionEnv, stored: string, context: string): Promise<string> {
  const { keyId, iv, data } = parse(stored);
  const { key } = await keyFor(env, keyId);
  let opened: ArrayBuffer;
  try {
    opened = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) }, key, data);
  } catch {
    // WebCrypto says only "OperationError"; say what it means for us.
    throw new EncryptionError("stored ciphertext failed authentication (tampered with, or bound to another record)");
  }
  return new TextDecoder().decode(opened);
}

/**
 * `stored` sealed with ENCRYPTION_KEY: unchanged when it already is, else opened with the
 * previous key and sealed again. The write paths call this so rotation completes as rows are written.
 */
export async function reencryptSecret(env: EncryptionEnv, stored: string, context: string): Promise<string> {
  const { keyId } = parse(stored);
  if (keyId === (await currentKeyId(env))) return stored;
  return encryptSecret(env, await decryptSecret(env, stored, context), context);
}
