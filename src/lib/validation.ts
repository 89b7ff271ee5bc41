import type { Context } from "hono";
import { ApiError, type FieldError } from "./errors";

interface Issue {
  path: PropertyKey[];
  message: string;
  code?: string;
  origin?: string;
}

const TARGET_NAMES: Record<string, string> = { json: "body", query: "query", param: "path", header: "header" };

/** Maps zod issues to `errors[]`: every invalid field, named by path, without its value. */
export function fieldErrors(target: string, issues: readonly Issue[]): FieldError[] {
  const root = TARGET_NAMES[target] ?? target;
  return issues.map((issue) => ({
    path: [root, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
}

/** True when any issue is a string/array over its maximum: those are `input_too_large`. */
function isTooLarge(issues: readonly Issue[]): boolean {
  return issues.some((i) => i.code === "too_big" && (i.origin === "string" || i.origin === "array"));
}

/** The validation hook every router uses: a failed parse becomes one ApiError. */
export function validationHook(
  result: { success: true; target: string } | { success: false; target: string; error: { issues: readonly Issue[] } },
  _c: Context,
): void {
  if (result.success) return;
  const issues = result.error.issues;
  if (result.target === "param") {
    throw new ApiError("invalid_id", { errors: fieldErrors("param", issues) });
  }
  throw new ApiError(isTooLarge(issues) ? "input_too_large" : "validation_failed", {
    errors: fieldErrors(result.target, issues),
  });
}
