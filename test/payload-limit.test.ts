import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkRow,
  escapedBytes,
  fitText,
  fitToolResult,
  MAX_ROW_BYTES,
  prefixWithin,
  RowTooLargeError,
  utf8Bytes,
} from "../src/lib/payload-limit";

const encoder = new TextEncoder();
/** Any string, lone surrogates and control characters included. */
const anyText = fc.string({ unit: "binary", maxLength: 200 });

describe("the stored-row size limit", () => {
  it("counts a string's JSON size exactly as JSON.stringify and UTF-8 make it", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(escapedBytes(text)).toBe(encoder.encode(JSON.stringify(text)).byteLength);
        expect(utf8Bytes(text)).toBe(encoder.encode(text).byteLength);
      }),
    );
  });

  it("cuts to the longest prefix that fits, never inside a surrogate pair", () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 2, max: 400 }), (text, max) => {
        const prefix = prefixWithin(text, max);
        expect(text.startsWith(prefix)).toBe(true);
        expect(escapedBytes(prefix)).toBeLessThanOrEqual(max);
        if (prefix.length < text.length) {
          const next = text.codePointAt(prefix.length) ?? 0;
          expect(escapedBytes(text.slice(0, prefix.length + (next > 0xffff ? 2 : 1)))).toBeGreaterThan(max);
        }
      }),
    );
  });

  it("keeps what fits as it is and marks what it cut with the original size", () => {
    expect(fitToolResult({ a: 1 }, 100)).toEqual({ a: 1 });
    const big = { content: '"\\'.repeat(100) };
    const cut = fitToolResult(big, 100) as { truncated: boolean; original_bytes: number; text: string };
    expect(cut).toMatchObject({ truncated: true, original_bytes: utf8Bytes(JSON.stringify(big)) });
    expect(JSON.stringify(big).startsWith(cut.text)).toBe(true);
    expect(utf8Bytes(JSON.stringify(cut))).toBeLessThanOrEqual(100);
    expect(fitToolResult(cut, 100)).toBe(cut);
    expect(fitText("short", 100)).toEqual({ text: "short" });
    expect(fitText("é".repeat(100), 100)).toEqual({ text: "é".repeat(49), truncated: true, original_bytes: 200 });
  });

  it("refuses a row production would refuse, measured after escaping", () => {
    const quotes = '"'.repeat(MAX_ROW_BYTES / 2 + 1);
    expect(() => checkRow("row", { text: quotes })).toThrow(RowTooLargeError);
    expect(() => checkRow("row", { text: "a".repeat(MAX_ROW_BYTES / 2) })).not.toThrow();
  });
});
