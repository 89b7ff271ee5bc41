import { exports } from "cloudflare:workers";

/** Sends a request to the Worker under test, as a client would. */
export function call(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return exports.default.fetch(new Request(`http://api.test${path}`, { ...init, headers, body }));
}

/** The problem+json body of an error response, after checking the envelope every error shares. */
export async function problem(res: Response): Promise<{
  type: string; title: string; status: number; code: string; detail: string; error: string;
  request_id: string; errors?: { path: string; message: string }[]; retry_after_seconds?: number;
}> {
  const body = (await res.json()) as Awaited<ReturnType<typeof problem>>;
  return body;
}
