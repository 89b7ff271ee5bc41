/**
 * The session object's own limit on what one stored row may hold. Cloudflare refuses a Durable
 * Object SQLite row over 2 MB; local SQLite (tests, `wrangler dev`) does not, so the code keeps
 * the limit itself: a tool result or a reply text larger than `MAX_STORED_PART_BYTES` (its JSON
 * text, after escaping, in UTF-8 bytes) is stored cut, and a row that would still pass
 * `MAX_ROW_BYTES` is refused here, as production would refuse it.
 */

/** The most one tool result or one reply's text takes in storage: its JSON text in UTF-8 bytes. */
export const MAX_STORED_PART_BYTES = 1024 * 1024;

/** Cloudflare's limit on one row of a Durable Object's SQLite storage (2 MB). */
export const MAX_ROW_BYTES = 2_000_000;

/** A row that storage in production would refuse: thrown before the write, so local runs fail the same way. */
export class RowTooLargeError extends Error {
  constructor(what: string, bytes: number) {
    super(`${what} is ${bytes} bytes as JSON, over the ${MAX_ROW_BYTES}-byte row limit`);
    this.name = "RowTooLargeError";
  }
}

/** What a tool result too large to store becomes: the leading part of its JSON text, and how large it was. */
export interface CutResult {
  truncated: true;
  /** Size of the whole result's JSON text, in UTF-8 bytes. */
  original_bytes: number;
  /** The leading part of the result's JSON text. */
  text: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Bytes one UTF-16 code unit (or, at `i`, a surrogate pair) takes inside a JSON string, and how many units it spans. */
function escapedUnit(text: string, i: number): [bytes: number, units: number] {
  const c = text.charCodeAt(i);
  if (c === QUOTE || c === BACKSLASH) return [2, 1];
  if (c < 0x20) return [c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6, 1];
  if (c < 0x80) return [1, 1];
  if (c < 0x800) return [2, 1];
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = text.charCodeAt(i + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return [4, 2];
    return [6, 1]; // a lone surrogate: JSON.stringify writes \udXXX
  }
  if (c >= 0xdc00 && c <= 0xdfff) return [6, 1];
  return [3, 1];
}

/** UTF-8 bytes of `text` written as a JSON string, quotes included (what JSON.stringify(text) takes). */
export function escapedBytes(text: string): number {
  let bytes = 2;
  for (let i = 0; i < text.length; ) {
    const [b, units] = escapedUnit(text, i);
    bytes += b;
    i += units;
  }
  return bytes;
}

/** UTF-8 bytes of `text` as it is (no escaping). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** The longest prefix of `text` whose JSON string takes at most `maxBytes` (never splitting a surrogate pair). */
export function prefixWithin(text: string, maxBytes: number): string {
  let bytes = 2;
  let i = 0;
  while (i < text.length) {
    const [b, units] = escapedUnit(text, i);
    if (bytes + b > maxBytes) break;
    bytes += b;
    i += units;
  }
  return text.slice(0, i);
}

/**
 * A tool result as stored: itself when its JSON text fits, else the leading part of that text
 * (as a string), marked as cut with the whole text's size; the cut result's own JSON fits, so
 * fitting it again keeps it as it is.
 */
export function fitToolResult(result: unknown, maxBytes = MAX_STORED_PART_BYTES): unknown {
  const json = JSON.stringify(result ?? null);
  const bytes = utf8Bytes(json);
  if (bytes <= maxBytes) return result;
  // The cut result as a whole fits: its text gets what the wrapper leaves (the empty text's quotes are counted in both).
  const wrapper = utf8Bytes(JSON.stringify({ truncated: true, original_bytes: bytes, text: "" }));
  const cut: CutResult = { truncated: true, original_bytes: bytes, text: prefixWithin(json, maxBytes - wrapper + 2) };
  return cut;
}

/** A reply's text as stored: itself when its JSON string fits, else cut to fit, with the whole text's UTF-8 size. */
export function fitText(text: string, maxBytes = MAX_STORED_PART_BYTES): { text: string; truncated?: true; original_bytes?: number } {
  if (escapedBytes(text) <= maxBytes) return { text };
  return { text: prefixWithin(text, maxBytes), truncated: true, original_bytes: utf8Bytes(text) };
}

/** Refuses a row whose JSON would pass the row limit (a last guard: callers cut what can grow first). */
export function checkRow(what: string, value: unknown): void {
  const json = JSON.stringify(value);
  if (json === undefined || json.length * 3 <= MAX_ROW_BYTES) return; // cannot pass the limit: skip the count
  const bytes = utf8Bytes(json);
  if (bytes > MAX_ROW_BYTES) throw new RowTooLargeError(what, bytes);
}
