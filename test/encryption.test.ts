import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { currentKeyId, decryptSecret, EncryptionError, encryptSecret, reencryptSecret } from "../src/lib/encryption";
import { randomEncryptionKey } from "./support/encryption";

const SECRET = "sk-test-0123456789abcdef";
const CONTEXT = "provider_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f";

/** Replaces one base64 character of the ciphertext part so the bytes change but the shape stays valid. */
function flipCiphertext(stored: string): string {
  const parts = stored.split(":");
  const data = parts[3] ?? "";
  const swapped = (data[0] === "A" ? "B" : "A") + data.slice(1);
  return [...parts.slice(0, 3), swapped].join(":");
}

describe("encryption", () => {
  it("seals as v1:<key id>:<iv>:<ciphertext> and opens again, with a fresh IV each time", async () => {
    const a = await encryptSecret(env, SECRET, CONTEXT);
    const b = await encryptSecret(env, SECRET, CONTEXT);
    expect(a).toMatch(/^v1:[0-9a-f]{8}:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/]+=*$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(SECRET);
    expect(a.split(":")[1]).toBe(await currentKeyId(env));
    expect(await decryptSecret(env, a, CONTEXT)).toBe(SECRET);
  });

  it("binds the value to its context: a ciphertext copied to another record does not open", async () => {
    const sealed = await encryptSecret(env, SECRET, CONTEXT);
    await expect(decryptSecret(env, sealed, "provider_ffffffffffffffffffffffffffffffff")).rejects.toBeInstanceOf(EncryptionError);
  });

  it("rejects tampered, malformed and unknown-key ciphertexts", async () => {
    const sealed = await encryptSecret(env, SECRET, CONTEXT);
    await expect(decryptSecret(env, flipCiphertext(sealed), CONTEXT)).rejects.toBeInstanceOf(EncryptionError);
    const [, , iv, data] = sealed.split(":");
    await expect(decryptSecret(env, `v1:00000000:${iv}:${data}`, CONTEXT)).rejects.toBeInstanceOf(EncryptionError);
    for (const bad of ["", "plaintext", "v1:abc", `v2:${sealed.slice(3)}`, `${sealed}:extra`, sealed.replace(/:[^:]+:/, ":x:!!!:")]) {
      await expect(decryptSecret(env, bad, CONTEXT)).rejects.toBeInstanceOf(EncryptionError);
    }
  });

  it("fails loudly on a missing or invalid key, without echoing the value", async () => {
    await expect(encryptSecret({}, SECRET, CONTEXT)).rejects.toThrow(/ENCRYPTION_KEY is not set/);
    const short = btoa("only-16-bytes-ok");
    const err = await encryptSecret({ ENCRYPTION_KEY: short }, SECRET, CONTEXT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EncryptionError);
    expect(String((err as Error).message)).not.toContain(short);
    await expect(encryptSecret({ ENCRYPTION_KEY: "not base64 at all!" }, SECRET, CONTEXT)).rejects.toBeInstanceOf(EncryptionError);
  });

  it("rotates: values sealed with the old key open with new+previous and are re-sealed with the new key", async () => {
    const oldKey = randomEncryptionKey();
    const newKey = randomEncryptionKey();
    const before = { ENCRYPTION_KEY: oldKey };
    const rotating = { ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_PREVIOUS: oldKey };
    const after = { ENCRYPTION_KEY: newKey };

    const sealedOld = await encryptSecret(before, SECRET, CONTEXT);
    expect(await decryptSecret(rotating, sealedOld, CONTEXT)).toBe(SECRET);
    await expect(decryptSecret(after, sealedOld, CONTEXT)).rejects.toBeInstanceOf(EncryptionError);

    const resealed = await reencryptSecret(rotating, sealedOld, CONTEXT);
    expect(resealed.split(":")[1]).toBe(await currentKeyId(after));
    expect(resealed.split(":")[1]).not.toBe(sealedOld.split(":")[1]);
    expect(await decryptSecret(after, resealed, CONTEXT)).toBe(SECRET);

    // Already current: left as it is (no needless writes).
    expect(await reencryptSecret(rotating, resealed, CONTEXT)).toBe(resealed);
  });

  it("accepts a key with surrounding whitespace, as secrets pasted from a terminal often have", async () => {
    const key = randomEncryptionKey();
    const sealed = await encryptSecret({ ENCRYPTION_KEY: `${key}\n` }, SECRET, CONTEXT);
    expect(await decryptSecret({ ENCRYPTION_KEY: key }, sealed, CONTEXT)).toBe(SECRET);
  });
});
