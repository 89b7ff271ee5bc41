/**
 * A whole number of at least `min` from a Worker var (digits only, surrounding blanks allowed), or
 * undefined when the var is unset or anything else, so each caller keeps its own default.
 */
export function envInt(value: string | undefined, min: 0 | 1): number | undefined {
  const trimmed = value?.trim() ?? "";
  if (!/^\d+$/.test(trimmed)) return undefined;
  const n = Number(trimmed);
  return Number.isSafeInteger(n) && n >= min ? n : undefined;
}

/** A positive whole-number var, or `fallback` when it is unset or invalid. */
export function positiveIntVar(value: string | undefined, fallback: number): number {
  return envInt(value, 1) ?? fallback;
}
