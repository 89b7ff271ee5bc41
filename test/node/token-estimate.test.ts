import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { encode as cl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { encode as o200k } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import { estimateTextTokens } from "../../src/llm/token-estimate";

const file = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8").slice(0, 20_000);

/** Text of the kinds a prompt carries, 2,000 to 20,000 characters each. */
const SAMPLES: Record<string, string> = {
  "English prose (docs)": file("docs/ARCHITECTURE.md"),
  TypeScript: file("src/session/turns.ts"),
  "minified JSON": JSON.stringify(JSON.parse(readFileSync(new URL("../../package-lock.json", import.meta.url), "utf8"))).slice(0, 20_000),
  "quotes and backslashes": '"\\'.repeat(5_000),
  digits: Array.from({ length: 3_000 }, (_, i) => (i * 7_919) % 100_000).join(","),
  hex: randomBytes(5_000).toString("hex"),
  whitespace: "  \n\t ".repeat(2_000),
  "Japanese and Chinese": "長いセッションと大きな聴衆。これは日本語のテキストです。中文文本也在这里。".repeat(100),
  Russian: "Длинные сессии и большая аудитория. Это текст на русском языке. ".repeat(100),
  emoji: "😀🎉👍🏽 ".repeat(500),
};

describe("the prompt token estimate against real tokenizers (cl100k, o200k)", () => {
  for (const [kind, text] of Object.entries(SAMPLES)) {
    it(`never counts fewer tokens than either for ${kind}, and at most 2.6 times as many`, () => {
      const actual = Math.max(cl100k(text).length, o200k(text).length);
      const estimate = estimateTextTokens(text);
      expect(estimate).toBeGreaterThanOrEqual(actual);
      expect(estimate).toBeLessThanOrEqual(actual * 2.6);
    });
  }

  it("counts random base64, the one kind it may undercount, at no less than 0.8 of the tokens", () => {
    for (let i = 0; i < 5; i += 1) {
      const text = randomBytes(6_000).toString("base64");
      expect(estimateTextTokens(text)).toBeGreaterThanOrEqual(0.8 * Math.max(cl100k(text).length, o200k(text).length));
    }
  });

  it("stays within 1.6 times for the prose and code most prompts are made of", () => {
    for (const kind of ["English prose (docs)", "TypeScript"]) {
      const text = SAMPLES[kind] ?? "";
      expect(estimateTextTokens(text)).toBeLessThanOrEqual(1.6 * Math.max(cl100k(text).length, o200k(text).length));
    }
  });
});
