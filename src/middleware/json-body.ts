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
 * The parsed body stays cached on the request for the route's validator.
 */
export function requireJsonBody() {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!METHODS_WITH_BODY.has(c.req.method) || !c.req.raw.body) return next();
    const text = await c.req.text();
    if (text.length === 0) return next();
    const mediaType = (c.req.header("content-type") ?? "").replace(/;.*/s, "").trim();
    if (!JSON_MEDIA_TYPE.test(mediaType)) throw new ApiError("unsupported_media_type");
    try {
      // V8 parses without recursion, so any nesting parses; how deep a route lets it go is
      // decided by its schema and the validation hook (src/lib/validation.ts).
      JSON.parse(text);
    } catch {
      throw new ApiError("invalid_json");
    }
    await next();
  });
}
