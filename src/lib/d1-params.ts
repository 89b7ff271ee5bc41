/**
 * D1 binds at most 100 parameters per statement. Miniflare does not enforce it, so a
 * multi-row insert or an `IN (…)` over a caller-sized list passes every local test and
 * fails in production: build such statements through these helpers.
 */
export const D1_MAX_BOUND_PARAMS = 100;

/** Splits `items` into consecutive slices of at most `size` (size ≥ 1), keeping their order. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError("chunk size must be a positive integer");
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** How many rows of `columns` bound values one INSERT can carry within D1's limit. */
export function rowsPerInsert(columns: number): number {
  return Math.max(1, Math.floor(D1_MAX_BOUND_PARAMS / columns));
}
