/**
 * The simple phrase rules llmsim uses to decide that a user message asks for a tool. Each rule
 * names one tool; it fires only if that tool is among the request's tools. Every rule is tried
 * against the whole message, so one message can ask for several tools; the calls come out in
 * the order their phrases appear, duplicates dropped. Matching is case-insensitive.
 *
 * - get_current_time {}: "what time", "current time", "time is it", "time now",
 *   "what's/what is the time|date", "today's date", "current date".
 * - get_weather {location}: "weather in|for|at <place>"; the place runs to the next
 *   punctuation mark, " and ", or the end ("weather in New York?" → "New York").
 * - web_fetch {url}: "fetch <http(s) URL>" (trailing punctuation dropped).
 * - add / subtract / multiply / divide {a, b}, with numbers like 2, -3, 4.5:
 *   "2 + 3", "2 plus 3", "add 2 and 3", "add 2 to 3", "sum of 2 and 3";
 *   "5 - 2", "5 minus 2", "subtract 2 from 5" (→ a 5, b 2);
 *   "6 * 7", "6 × 7", "6 x 7", "6 times 7", "multiply 6 by 7", "product of 6 and 7";
 *   "8 / 2", "8 ÷ 2", "8 divided by 2", "divide 8 by 2".
 * - any offered tool by name (client-side tools included): "call <name>", "use <name>" or
 *   "run <name>", optionally followed by a flat JSON object of arguments
 *   ("call get_weather {\"city\": \"Paris\"}"); without one the arguments are {}.
 */

export interface ToolIntent {
  name: string;
  arguments: Record<string, unknown>;
}

interface Match extends ToolIntent {
  start: number;
  end: number;
}

const NUM = String.raw`(-?\d+(?:\.\d+)?)`;

type Rule = { name: string; pattern: RegExp; args: (groups: string[]) => Record<string, unknown> };

const pair = (groups: string[]) => ({ a: Number(groups[0]), b: Number(groups[1]) });
const swapped = (groups: string[]) => ({ a: Number(groups[1]), b: Number(groups[0]) });

/** Worded arithmetic comes before symbols so "add 2 and 3" is not also read another way. */
const RULES: Rule[] = [
  {
    name: "get_current_time",
    pattern: /\b(?:what time|current time|time is it|time now|what(?:'s| is) the (?:time|date)|today's date|current date)\b/gi,
    args: () => ({}),
  },
  {
    name: "get_weather",
    pattern: /\bweather\s+(?:in|for|at)\s+([^?!.,;\n]+?)(?=\s+and\b|[?!.,;\n]|$)/gi,
    args: (g) => ({ location: (g[0] ?? "").trim() }),
  },
  { name: "web_fetch", pattern: /\bfetch\s+(https?:\/\/[^\s<>"']+)/gi, args: (g) => ({ url: (g[0] ?? "").replace(/[.,;:!?)\]]+$/, "") }) },
  { name: "add", pattern: new RegExp(String.raw`\badd\s+${NUM}\s+(?:and|to|plus)\s+${NUM}`, "gi"), args: pair },
  { name: "add", pattern: new RegExp(String.raw`\bsum of\s+${NUM}\s+and\s+${NUM}`, "gi"), args: pair },
  { name: "subtract", pattern: new RegExp(String.raw`\bsubtract\s+${NUM}\s+from\s+${NUM}`, "gi"), args: swapped },
  { name: "multiply", pattern: new RegExp(String.raw`\bmultiply\s+${NUM}\s+(?:by|and|with)\s+${NUM}`, "gi"), args: pair },
  { name: "multiply", pattern: new RegExp(String.raw`\bproduct of\s+${NUM}\s+and\s+${NUM}`, "gi"), args: pair },
  { name: "divide", pattern: new RegExp(String.raw`\bdivide\s+${NUM}\s+by\s+${NUM}`, "gi"), args: pair },
  { name: "add", pattern: new RegExp(String.raw`${NUM}\s*(?:\+|\s(?:plus)\s)\s*${NUM}`, "gi"), args: pair },
  { name: "subtract", pattern: new RegExp(String.raw`${NUM}\s*(?:-|\s(?:minus)\s)\s*${NUM}`, "gi"), args: pair },
  { name: "multiply", pattern: new RegExp(String.raw`${NUM}\s*(?:\*|×|\s(?:x|times|multiplied by)\s)\s*${NUM}`, "gi"), args: pair },
  { name: "divide", pattern: new RegExp(String.raw`${NUM}\s*(?:\/|÷|\s(?:divided by|over)\s)\s*${NUM}`, "gi"), args: pair },
];

/** "call <name> {…}": any offered tool by name, with a flat JSON object of arguments if one follows. */
function byNameRule(name: string): Rule {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return {
    name,
    pattern: new RegExp(String.raw`\b(?:call|use|run)\s+(?:the\s+)?(?:tool\s+)?${escaped}\b(?:\s*(?:with\s*)?(\{[^{}]*\}))?`, "gi"),
    args: (groups) => jsonObject(groups[0] ?? ""),
  };
}

function jsonObject(text: string): Record<string, unknown> {
  if (text === "") return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The tool calls a user message asks for, limited to the tools offered. */
export function findToolIntents(text: string, available: ReadonlySet<string>): ToolIntent[] {
  const accepted: Match[] = [];
  for (const rule of [...[...available].map(byNameRule), ...RULES]) {
    if (!available.has(rule.name)) continue;
    for (const m of text.matchAll(rule.pattern)) {
      const start = m.index;
      const end = start + m[0].length;
      // A phrase already claimed by an earlier rule is not read twice.
      if (accepted.some((a) => start < a.end && a.start < end)) continue;
      accepted.push({ name: rule.name, arguments: rule.args(m.slice(1).map((g) => g ?? "")), start, end });
    }
  }
  accepted.sort((x, y) => x.start - y.start);
  const seen = new Set<string>();
  const intents: ToolIntent[] = [];
  for (const { name, arguments: args } of accepted) {
    const key = `${name}:${JSON.stringify(args)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    intents.push({ name, arguments: args });
  }
  return intents;
}
