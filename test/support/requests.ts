import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { createApp } from "../../src/app";
import type { Env } from "../../src/env";

/** A request's init, with `json` as a shorthand for a JSON body and its content type. */
export type RequestOptions = RequestInit & { json?: unknown };

/** Whoever a request is made as: the headers that authenticate them (a Tenant is one). */
export interface Caller {
  headers: Record<string, string>;
}

/** The Request a client would send for `path` and `init` (a `json` body is serialized). */
function toRequest(path: string, init: RequestOptions): Request {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return new Request(`http://api.test${path}`, { ...init, headers, body });
}

/** Sends a request to the Worker under test, as a client would. */
export function call(path: string, init: RequestOptions = {}): Promise<Response> {
  return exports.default.fetch(toRequest(path, init));
}

/** A request as `caller` (its headers, overridable per call). */
export function callAs(caller: Caller, path: string, init: RequestOptions = {}): Promise<Response> {
  return call(path, { ...init, headers: { ...caller.headers, ...(init.headers as Record<string, string> | undefined) } });
}

/**
 * A request to a fresh app with some bindings overridden (AUTH_MODE, a missing JWT_SECRET, small
 * rate limits, an unreachable rate limiter), against the same D1 and Durable Objects. Waits for
 * its background work (waitUntil).
 */
export async function callWith(overrides: Partial<Env>, path: string, init: RequestOptions = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(toRequest(path, init), { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}
