/**
 * The part of `node:crypto` (workerd's `nodejs_compat`) this Worker uses: a synchronous HMAC,
 * which WebCrypto does not offer (delta ids are made and checked on paths that cannot await).
 */
declare module "node:crypto" {
  interface Hmac {
    update(data: Uint8Array | string): Hmac;
    digest(): Uint8Array & { readUInt32BE(offset: number): number };
  }
  export function createHmac(algorithm: "sha256", key: string): Hmac;
}
