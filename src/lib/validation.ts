import type { Context } from "hono";
import { ApiError, type FieldError } from "./errors";
import { firstTooDeep } from "./json-depth";

/**
 * No validated body may nest deeper than this (the body itself is level 1): a backstop behind the
 * per-field limit of free-form JSON (FREE_FORM_MAX_DEPTH in lib/json-depth.ts) for a field whose
 * schema forgot one. Checked on what the schema let through (fields it does not know are already
 * dropped), before any handler can store or serialize it.
 */
export const MAX_BODY_DEPTH = 64;

interface Issue {
  path: PropertyKey[];
  message: string;
  code?: string;
  origin?: string;
  /** Only on `invalid_union`: the issues of each branch, paths relative to the union. */
  errors?: readonly (readonly Issue[])[];
}

const TARGET_NAMES: Record<string, string> = { json: "body", query: "query", param: "path", header: "header" };

/** `too_big` origins that measure size (bytes, items); a number over its maximum is a plain invalid value. */
const SIZE_ORIGINS = new Set(["string", "array", "set", "file", "object"]);

/**
 * Replaces a failed union by the issues of the one branch the input was meant for (the only
 * branch that did not reject the value's type outright), so that e.g. an over-long capability id
 * is named at its own path and counted as a size issue. Ambiguous unions stay one issue.
 */
function expandUnions(issues: readonly Issue[]): Issue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== "invalid_union" || !issue.errors) return [issue];
    const meant = issue.errors.filter((branch) => !branch.some((i) => i.code === "invalid_type" && i.path.length === 0));
    const [branch] = meant;
    if (meant.length !== 1 || !branch || branch.length === 0) return [issue];
    return expandUnions(branch.map((i) => ({ ...i, path: [...issue.path, ...i.path] })));
  });
}

/** Maps zod issues to `errors[]`: every invalid field, named by path, without its value. */
function fieldErrors(target: string, issues: readonly Issue[]): FieldError[] {
  const root = TARGET_NAMES[target] ?? target;
  return expandUnions(issues).map((issue) => ({
    path: [root, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
}

function isSizeIssue(issue: Issue): boolean {
  return issue.code === "too_big" && issue.origin !== undefined && SIZE_ORIGINS.has(issue.origin);
}

// Rule: `input_too_large` only when every issue is a size issue; any other problem makes it
// `validation_failed` (errors[] still lists the size issues), since the request must change shape anyway.
function isTooLarge(issues: readonly Issue[]): boolean {
  const expanded = expandUnions(issues);
  return expanded.length > 0 && expanded.every(isSizeIssue);
}

/** The code of a failed check of request input: `input_too_large` when every issue is a size issue, else `validation_failed`. */
export function inputErrorCode(issues: readonly Issue[]): "input_too_large" | "validation_failed" {
  return isTooLarge(issues) ? "input_too_large" : "validation_failed";
}

/** 400 `input_too_large` when validated input nests past MAX_BODY_DEPTH, named by its top-level field. */
function assertShallow(target: string, data: unknown): void {
  const tooDeep = firstTooDeep(data, MAX_BODY_DEPTH);
  if (tooDeep === null) return;
  const root = TARGET_NAMES[target] ?? target;
  const path = tooDeep.length > 0 ? `${root}.${String(tooDeep[0])}` : root;
  throw new ApiError("input_too_large", { errors: [{ path, message: `Must be nested at most ${MAX_BODY_DEPTH} levels deep` }] });
}

/** The validation hook every router uses: a failed parse becomes one ApiError. */
export function validationHook(
  result: { success: true; target: string; data?: unknown } | { success: false; target: string; error: { issues: readonly Issue[] } },
  _c: Context,
): void {
  if (result.success) {
    assertShallow(result.target, result.data);
    return;
  }
  const issues = result.error.issues;
  if (result.target === "param") {
    throw new ApiError("invalid_id", { errors: fieldErrors("param", issues) });
  }
  throw new ApiError(inputErrorCode(issues), {
    errors: fieldErrors(result.target, issues),
  });
}
