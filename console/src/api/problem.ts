/**
 * A failed call, as the console shows it: the problem+json body's `detail` and `request_id`
 * (spec §3), or a sentence of ours when there was no such body (no network, a proxy's page).
 */
export interface FieldError {
  path: string;
  message: string;
}

export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly requestId: string | null;
  readonly errors: FieldError[];

  constructor(fields: { status: number; code: string; detail: string; requestId: string | null; errors?: FieldError[] }) {
    super(fields.detail);
    this.name = "ApiProblem";
    this.status = fields.status;
    this.code = fields.code;
    this.detail = fields.detail;
    this.requestId = fields.requestId;
    this.errors = fields.errors ?? [];
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fieldErrors(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((e) => ({ path: String(e.path ?? ""), message: String(e.message ?? "") }));
}

/** Reads a non-2xx response into an ApiProblem; the body is always consumed. */
export async function problemFrom(res: Response): Promise<ApiProblem> {
  const headerId = res.headers.get("x-request-id");
  let body: unknown = null;
  if ((res.headers.get("content-type") ?? "").includes("json")) {
    body = await res.json().catch(() => null);
  } else {
    await res.body?.cancel();
  }
  if (isRecord(body) && (typeof body.detail === "string" || typeof body.error === "string")) {
    return new ApiProblem({
      status: res.status,
      code: typeof body.code === "string" ? body.code : "unknown",
      detail: String(body.detail ?? body.error),
      requestId: typeof body.request_id === "string" ? body.request_id : headerId,
      errors: fieldErrors(body.errors),
    });
  }
  return new ApiProblem({
    status: res.status,
    code: "unexpected_response",
    detail: `The server answered ${res.status} ${res.statusText} without an error description`,
    requestId: headerId,
  });
}

/** Anything thrown by a call, as an ApiProblem (fetch rejects only when the network fails). */
export function toProblem(err: unknown): ApiProblem {
  if (err instanceof ApiProblem) return err;
  if (err instanceof TypeError) {
    return new ApiProblem({
      status: 0,
      code: "network_error",
      detail: "Could not reach the server. Check the connection and try again.",
      requestId: null,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ApiProblem({ status: 0, code: "client_error", detail: `Something went wrong in the console: ${message}`, requestId: null });
}
