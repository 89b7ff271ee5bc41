import { createMiddleware } from "hono/factory";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";

/** Bodies above this are refused with 413 before they are parsed (spec §1). */
export const MAX_BODY_BYTES = 1024 * 1024;

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;
const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH"]);

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
 * A body that is present must be JSON (415 otherwise) and must parse (400 `invalid_json`).
 * The parsed body stays cached on the request for the route's validator. No body, an empty one
 * or JSON `null` count as no body (`{}`), whatever the Content-Type says: the official SDKs send
 * `Content-Type: application/json` on body-less POSTs such as cancel, and one sends `null`.
 */
export function requireJsonBody() {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!METHODS_WITH_BODY.has(c.req.method)) return next();
    const text = c.req.raw.body ? await c.req.text() : "";
    if (text.trim() === "" || text.trim() === "null") {
      c.req.bodyCache.json = Promise.resolve({});
      return next();
    }
    const mediaType = (c.req.header("content-type") ?? "").replace(/;.*/s, "").trim();
    if (!JSON_MEDIA_TYPE.test(mediaType)) throw new ApiError("unsupported_media_type");
    try {
      JSON.parse(text);
    } catch {
      throw new ApiError("invalid_json");
    }
    await next();
  });
}
