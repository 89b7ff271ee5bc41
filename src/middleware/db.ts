import { createMiddleware } from "hono/factory";
import { D1Bookmarks } from "../db/bookmarks";
import { createDb } from "../db/client";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";
import type { RouteEntry } from "../lib/method-not-allowed";
import { routeTraits } from "./traits";

/** The header a response carries its D1 bookmark in, and a client sends back so its next request sees its writes. */
export const BOOKMARK_HEADER = "x-d1-bookmark";

/** A D1 bookmark: hex groups joined by dashes (they sort oldest to newest). */
const BOOKMARK = /^[0-9a-f]{8}(?:-[0-9a-f]{1,64}){1,6}$/i;

/** Methods that write: their reads must see the latest state, so they start on the primary. */
const WRITING_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Puts a request-scoped Drizzle client in `c.var.db`, over a D1 session: a reading request's
 * reads go to the nearest replica ("first-unconstrained"), or to one at least as new as the
 * `x-d1-bookmark` the client sent back; a writing request, and a route that declares
 * `reads: "latest"`, starts on the primary ("first-primary"). Every answer carries the
 * request's newest bookmark in `x-d1-bookmark`.
 */
export function database(app: { routes: RouteEntry[] }) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const sent = c.req.header(BOOKMARK_HEADER);
    if (sent !== undefined && !BOOKMARK.test(sent)) {
      throw new ApiError("validation_failed", {
        errors: [{ path: `header.${BOOKMARK_HEADER}`, message: "Must be a bookmark this API sent in x-d1-bookmark" }],
      });
    }
    const latest = WRITING_METHODS.has(c.req.method) || routeTraits(c, app)?.reads === "latest";
    const constraint = latest ? "first-primary" : (sent ?? "first-unconstrained");
    const bookmarks = new D1Bookmarks();
    c.set("d1", bookmarks);
    c.set("db", createDb(bookmarks.track(c.env.DB.withSession(constraint))));
    await next();
    const reached = bookmarks.latest();
    // A WebSocket upgrade's headers are fixed; every other answer says where its reads and writes got to.
    if (reached !== null && c.res.status !== 101) c.res.headers.set(BOOKMARK_HEADER, reached);
  });
}
