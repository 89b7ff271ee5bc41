import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";

const SANE_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Accepts the caller's X-Request-ID when it is ≤ 128 printable characters, else mints one; echoes
 * it on every response. Also stamps when the request arrived (`receivedAt`), before any I/O: the
 * runtime's clock moves only at I/O, so a stamp taken later (after authentication's D1 read) is
 * not the arrival time.
 */
export function requestId() {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set("receivedAt", Date.now());
    const given = c.req.header("x-request-id");
    const id = given && SANE_REQUEST_ID.test(given) ? given : crypto.randomUUID().replaceAll("-", "");
    c.set("requestId", id);
    await next();
    c.res.headers.set("x-request-id", id);
  });
}
