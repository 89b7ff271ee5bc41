import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";

/** Bodies above this are refused with 413 before they are parsed (spec §1). */
export const MAX_BODY_BYTES = 1024 * 1024;

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;
const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH"]);
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** 413 for a body over the byte limit, whether it declares its length or streams it. */
export function limitBody(maxSize = MAX_BODY_BYTES) {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("payload_too_large", { detail: `The request body is over the ${maxSize}-byte limit` });
    },
  });
}

/**
 * A body that is present must be JSON (415 otherwise) and must be UTF-8 that parses (400 `invalid_json`).
 * The parsed body stays cached on the request for the route's validator. No body, an empty one
 * or JSON `null` count as no body (`{}`), whatever the Content-Type says: the official SDKs send
 * `Content-Type: application/json` on body-less POSTs such as cancel, and one sends `null`.
 */
export function requireJsonBody() {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!METHODS_WITH_BODY.has(c.req.method)) return next();
    // Read as bytes: the runtime warns when a body of a non-text type is read as text.
    const bytes = c.req.raw.body ? await c.req.arrayBuffer() : new ArrayBuffer(0);
    // JSON text is UTF-8 (RFC 8259): bytes that are not are refused, not patched with U+FFFD.
    const text = utf8(bytes);
    if (text !== null && (text.trim() === "" || text.trim() === "null")) {
      // Every cached form says `{}`: hono's json() parses the cached text, and idempotency hashes it.
      // The cache holds promises at runtime; hono types its entries as the resolved values.
      c.req.bodyCache = { text: Promise.resolve("{}") as unknown as string, json: Promise.resolve({}) };
      return next();
    }
    const mediaType = (c.req.header("content-type") ?? "").replace(/;.*/s, "").trim();
    if (!JSON_MEDIA_TYPE.test(mediaType)) throw new ApiError("unsupported_media_type");
    let parsed: unknown;
    try {
      if (text === null) throw new Error("not UTF-8");
      // V8 parses without recursion, so any nesting parses; how deep a route lets it go is
      // decided by its schema and the validation hook (src/lib/validation.ts).
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError("invalid_json");
    }
    c.req.bodyCache.json = Promise.resolve(parsed);
    await next();
  });
}

function utf8(bytes: ArrayBuffer): string | null {
  try {
    return UTF8.decode(bytes);
  } catch {
    return null;
  }
}
