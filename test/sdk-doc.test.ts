import { describe, expect, it } from "vitest";
import doc from "../docs/SDK.md?raw";
import { EVENT_ALIASES } from "../src/session/rpc";

/** The text of the `## Event types and filter aliases` section, up to the next `## ` heading. */
function aliasSection(): string {
  const start = doc.indexOf("## Event types and filter aliases");
  expect(start, 'docs/SDK.md has no "## Event types and filter aliases" section').toBeGreaterThanOrEqual(0);
  const end = doc.indexOf("\n## ", start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

describe("docs/SDK.md", () => {
  it("lists every upstream filter alias with what it matches, and every upstream name that matches nothing", () => {
    const section = aliasSection();
    const rows = new Map([...section.matchAll(/^\| `([a-z_.]+)` \| (.+) \|$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]));
    for (const [name, meaning] of Object.entries(EVENT_ALIASES)) {
      if (meaning.startsWith("nothing")) {
        expect(rows.has(name), `${name} matches nothing but has a row`).toBe(false);
        expect(section, `${name} is missing from the never-emitted list`).toContain(`\`${name}\``);
        continue;
      }
      const row = rows.get(name);
      expect(row, `${name} is missing from the alias table`).toBeDefined();
      const [type = "", ...narrowing] = meaning.split(" ");
      expect(row, name).toContain(`\`${type}\``);
      for (const word of ["user", "agent", "client-side"]) {
        if (narrowing.includes(word)) expect(row, name).toContain(word);
      }
    }
    expect([...rows.keys()].sort()).toEqual(
      Object.keys(EVENT_ALIASES)
        .filter((n) => !EVENT_ALIASES[n]?.startsWith("nothing"))
        .sort(),
    );
  });
});
