import { z } from "@hono/zod-openapi";
import { ERROR_CATALOGUE, type ErrorCode } from "../lib/errors";
import { type IdPrefix, idFormatMessage, isId } from "../lib/ids";
import { FREE_FORM_MAX_DEPTH, firstTooDeep } from "../lib/json-depth";

/** The problem+json body of every error (spec §3). */
export const ErrorSchema = z
  .object({
    type: z.string().openapi({ example: "about:blank" }),
    title: z.string().openapi({ example: "Not Found" }),
    status: z.number().int().openapi({ example: 404 }),
    code: z.enum(Object.keys(ERROR_CATALOGUE) as [ErrorCode, ...ErrorCode[]]).openapi({ example: "session_not_found" }),
    detail: z.string().openapi({ example: "Session not found" }),
    error: z.string().openapi({ description: "Same as detail, for clients of the original API", example: "Session not found" }),
    request_id: z.string().openapi({ example: "4b1f0c5e9a2d4e0f" }),
    errors: z
      .array(z.object({ path: z.string().openapi({ example: "body.name" }), message: z.string() }))
      .optional()
      .openapi({ description: "Only for validation failures: every invalid field" }),
    retry_after_seconds: z.number().int().optional().openapi({ description: "Only on 429 and 503" }),
  })
  .openapi("Error");

const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: "Invalid request",
  401: "Missing, invalid or expired credentials",
  403: "The caller's role is not enough",
  404: "Not found (or owned by another organization)",
  405: "Method not allowed",
  409: "Conflict with the current state",
  413: "Request body too large",
  415: "Request body is not JSON",
  426: "Not a WebSocket upgrade",
  422: "Semantically invalid",
  429: "Rate limited",
  500: "Internal server error",
  502: "A remote server this request needs failed",
  503: "A dependency is unavailable",
};

const problemContent = { "application/problem+json": { schema: ErrorSchema } };

/** OpenAPI error responses for the given statuses, each listing the catalogue codes it can carry. */
export function errorResponses(...statuses: number[]) {
  const out: Record<number, { description: string; content: typeof problemContent }> = {};
  for (const status of [...new Set([...statuses, 500])]) {
    const codes = Object.entries(ERROR_CATALOGUE)
      .filter(([, e]) => e.status === status)
      .map(([code]) => code);
    out[status] = {
      description: `${STATUS_DESCRIPTIONS[status] ?? "Error"} (codes: ${codes.join(", ")})`,
      content: problemContent,
    };
  }
  return out;
}

/** An id of the given prefix in a body or query field (its pattern shows in the OpenAPI document). */
export function idString(prefix: IdPrefix) {
  return z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9a-f]{32}$`), idFormatMessage(prefix))
    .openapi({ example: `${prefix}_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f` });
}

/** A path id of the given prefix: wrong prefix or shape is a 400 `invalid_id`. */
export function idParam(prefix: IdPrefix, name: string) {
  return z
    .string()
    .refine((v) => isId(prefix, v), { message: idFormatMessage(prefix) })
    .openapi({ param: { name, in: "path" }, example: `${prefix}_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f` });
}

/** The largest page any paginated list returns (spec §1). */
const MAX_PAGE_LIMIT = 100;

/** Query integers are plain decimal digits with an optional sign: not `1e3`, `0x10`, `1.5` or `Infinity`. */
const DECIMAL_INTEGER = /^[+-]?\d+$/;

/** More digits than this is past any limit we serve, so it clamps without being converted (no precision games). */
const MAX_LIMIT_DIGITS = 15;

/**
 * A `limit` query parameter (spec §1): absent or empty means the default; any decimal integer,
 * however long, is clamped to 1..max; anything else is a 400 naming `query.limit`. Read as text,
 * not coerced to a number, because coercion turns `` into 0 (limit 1) and refuses integers past
 * 2^53 instead of clamping them.
 */
export function clampedLimit(defaultLimit: number, max: number, description: string) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === "") return defaultLimit;
      if (!DECIMAL_INTEGER.test(raw)) {
        ctx.addIssue({ code: "custom", message: "Must be an integer" });
        return z.NEVER;
      }
      const negative = raw.startsWith("-");
      const digits = raw.replace(/^[+-]/, "").replace(/^0+(?=\d)/, "");
      const magnitude = digits.length > MAX_LIMIT_DIGITS ? Number.MAX_SAFE_INTEGER : Number(digits);
      return Math.min(max, Math.max(1, negative ? -magnitude : magnitude));
    })
    .openapi({ param: { name: "limit", in: "query" }, type: "integer", default: defaultLimit, example: defaultLimit, description });
}

/**
 * A whole-number query parameter of at least `min`, written in digits only: `1e3`, `0x10`, `+5`,
 * `1.5` and a number past 2^53 are a 400 naming `query.<name>`, where coercion would read the first
 * two as 1000 and 16. Absent or empty is `fallback` (undefined when there is none).
 */
export function wholeNumberQuery<F extends number | undefined = undefined>(
  name: string,
  min: number,
  openapi: { description?: string; example?: number },
  fallback?: F,
) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): number | F => {
      if (raw === undefined || raw === "") return fallback as F;
      const value = Number(raw);
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
        ctx.addIssue({ code: "custom", message: `Must be a whole number of at least ${min}, in digits` });
        return z.NEVER;
      }
      return value;
    })
    .openapi({
      param: { name, in: "query" },
      type: "integer",
      minimum: min,
      ...(fallback === undefined ? {} : { default: fallback }),
      ...openapi,
    });
}

const DEFAULT_PAGE_LIMIT = 20;

/** `offset`/`limit` of every paginated list (spec §1): offset ≥ 0; limit 20 by default, clamped to 1..100, not rejected. */
export const PaginationQuery = z.object({
  offset: wholeNumberQuery("offset", 0, { example: 0 }, 0),
  limit: clampedLimit(DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, `Default ${DEFAULT_PAGE_LIMIT}; 1–${MAX_PAGE_LIMIT}, values outside are clamped`),
});

/** `{data, total, offset, limit}` around an item schema. */
export function paginated<T extends z.ZodTypeAny>(item: T) {
  return z.object({ data: z.array(item), total: z.number().int(), offset: z.number().int(), limit: z.number().int() });
}

/** A JSON request body that must be present. */
export function jsonBody<T extends z.ZodTypeAny>(schema: T, description?: string) {
  return { required: true, description, content: { "application/json": { schema } } } as const;
}

/** A JSON success response. */
export function jsonResponse<T extends z.ZodTypeAny>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

const encoder = new TextEncoder();

/** A string whose UTF-8 size is at most `maxBytes`; over it is a 400 `input_too_large` naming the field. */
export function boundedString(maxBytes: number) {
  return z.string().superRefine((value, ctx) => {
    if (value.length > maxBytes || encoder.encode(value).length > maxBytes) {
      ctx.addIssue({ code: "too_big", origin: "string", maximum: maxBytes, inclusive: true, message: `Must be at most ${maxBytes} bytes` });
    }
  });
}

/** Byte size of a value as JSON (UTF-8); only called once the depth is known to be bounded. */
function jsonBytes(value: unknown): number {
  return encoder.encode(JSON.stringify(value)).length;
}

/** The limits of free-form JSON: nested at most FREE_FORM_MAX_DEPTH levels, and at most `maxBytes` as JSON when given. */
function checkFreeForm(value: unknown, ctx: z.RefinementCtx, maxBytes: number | undefined): void {
  if (firstTooDeep(value, FREE_FORM_MAX_DEPTH) !== null) {
    const message = `Must be nested at most ${FREE_FORM_MAX_DEPTH} levels deep`;
    ctx.addIssue({ code: "too_big", origin: "object", maximum: FREE_FORM_MAX_DEPTH, inclusive: true, message });
    return;
  }
  if (maxBytes !== undefined && value !== undefined && jsonBytes(value) > maxBytes) {
    ctx.addIssue({
      code: "too_big",
      origin: "object",
      maximum: maxBytes,
      inclusive: true,
      message: `Must be at most ${maxBytes} bytes as JSON`,
    });
  }
}

/**
 * A free-form JSON object: nested at most FREE_FORM_MAX_DEPTH levels and, with `maxBytes`, at most
 * that many bytes as JSON. Either excess is a 400 `input_too_large` naming the field.
 */
export function freeFormObject(options: { maxBytes?: number } = {}) {
  return z.record(z.string(), z.unknown()).superRefine((value, ctx) => checkFreeForm(value, ctx, options.maxBytes));
}

/** Any JSON value (a client tool's result), with the limits of freeFormObject. */
export function freeFormValue(options: { maxBytes?: number } = {}) {
  return z.unknown().superRefine((value, ctx) => checkFreeForm(value, ctx, options.maxBytes));
}

/** Tag limits shared by agents, sessions and messages. */
export const TAG_LIMITS = { count: 50, bytes: 128 } as const;

/** A list of tags: each non-empty and at most 128 bytes, at most 50 of them. */
export const TagsSchema = z
  .array(boundedString(TAG_LIMITS.bytes).pipe(z.string().min(1)))
  .max(TAG_LIMITS.count)
  .openapi({ example: ["support"] });

/** `search`: only items whose name (or title) contains this text, case-insensitively. */
export const SearchQuery = z.object({
  search: z
    .string()
    .max(256)
    .optional()
    .openapi({ param: { name: "search", in: "query" }, description: "Only items whose name contains this text (case-insensitive)" }),
});
