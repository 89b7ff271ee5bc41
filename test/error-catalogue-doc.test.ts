import { describe, expect, it } from "vitest";
import doc from "../docs/ERRORS.md?raw";
import { ERROR_CATALOGUE, type ErrorCode } from "../src/lib/errors";
import { failureText, type TurnErrorCode } from "../src/session/turn-outcome";

/**
 * Every `turn.failed` error code. `satisfies` plus the `Missing` check below make typecheck fail
 * when TurnErrorCode gains or loses a code, so this list (and with it the doc check) cannot drift.
 */
const TURN_ERROR_CODES = [
  "llm_auth_failed",
  "llm_rate_limited",
  "llm_unavailable",
  "llm_bad_response",
  "llm_timeout",
  "max_iterations",
  "tool_failed",
  "turn_timeout",
  "tool_results_timeout",
  "interrupted",
  "internal_error",
] as const satisfies readonly TurnErrorCode[];
type Missing = Exclude<TurnErrorCode, (typeof TURN_ERROR_CODES)[number]>;
const noneMissing: [Missing] extends [never] ? true : Missing = true;

/** The body of the `## <heading>` section of the doc, up to the next `## ` heading. */
function section(heading: string): string {
  const start = doc.indexOf(`\n## ${heading}\n`);
  expect(start, `docs/ERRORS.md has no "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const rest = doc.slice(start + heading.length + 5);
  const end = rest.indexOf("\n## ");
  return end === -1 ? rest : rest.slice(0, end);
}

/** The section's table body rows (below the `|---|` line) whose first cell is a backticked code, as [code, ...other cells]. */
function codeRows(text: string): string[][] {
  const lines = text.split("\n");
  return lines
    .slice(lines.findIndex((line) => line.startsWith("|---")) + 1)
    .filter((line) => /^\|\s*`[a-z_]+`\s*\|/.test(line))
    .map((line) =>
      line
        .slice(1, line.endsWith("|") ? -1 : undefined)
        .split("|")
        .map((cell) => cell.trim().replace(/^`(.*)`$/, "$1")),
    );
}

describe("docs/ERRORS.md", () => {
  it("lists every catalogue code once, with its status and title", () => {
    const rows = codeRows(section("Codes"));
    const listed = rows.map(([code]) => code);
    expect(new Set(listed).size, "a code is listed twice").toBe(listed.length);
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      const row = rows.find(([c]) => c === code);
      expect(row, `${code} is missing from docs/ERRORS.md`).toBeDefined();
      expect(row?.[1], `status of ${code}`).toBe(String(entry.status));
      expect(row?.[2], `title of ${code}`).toBe(entry.title);
      expect(row?.[3]?.length ?? 0, `${code} says when it happens`).toBeGreaterThan(0);
    }
  });

  it("lists no code that is not in the catalogue", () => {
    const unknown = codeRows(section("Codes"))
      .map(([code]) => code as string)
      .filter((code) => !Object.hasOwn(ERROR_CATALOGUE, code as ErrorCode));
    expect(unknown).toEqual([]);
  });

  it("lists exactly the turn.failed error codes, each with its sentence", () => {
    expect(noneMissing).toBe(true);
    const rows = codeRows(section("Turn failures"));
    expect(rows.map(([code]) => code).sort()).toEqual([...TURN_ERROR_CODES].sort());
    for (const [code, sentence] of rows) {
      expect(sentence, `error of ${code}`).toBe(failureText(code as TurnErrorCode));
    }
  });
});
