/** RFC 3339 UTC with milliseconds, the API's one timestamp format. */
export function nowIso(): string {
  return new Date().toISOString();
}
