// The MCP section of docs/BENCHMARKS.md: one row per run of bench/mcp-call.mjs (the last
// MAX_ROWS), between markers that `npm run bench` keeps when it rewrites the page.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./proc.mjs";

const PAGE = join(ROOT, "docs", "BENCHMARKS.md");
const MARKED = /<!-- mcp:start -->[\s\S]*<!-- mcp:end -->/;
const MAX_ROWS = 8;

const INTRO = `## One MCP call in a turn (\`bench/mcp-call.mjs\`)

\`MCP_BENCH_CALLS=40 npx node bench/mcp-call.mjs\` (Node 22; the load average, 1 min, is read as
the run starts and ends). server-everything behind a proxy that holds every request 25 ms, in a
process of its own; the built Worker under Miniflare (direct socket). Interleaved, call by call: a \`tools/call\` echo
from Node (a process of its own, on an MCP session it keeps), a turn of the Worker calling
\`mcp__bench__echo\`, a turn calling the built-in \`get_current_time\`. Medians. "In the turn" is
\`tool.call\` → \`tool.result\` by the object's clock (1 ms steps); "added" is the MCP turn minus
the built-in one; "overhead" is added minus direct. Requests are the MCP requests each side made
per measured call, counted by its proxy. docs/MCP.md says what the figures mean. Target: overhead
≤ 5 ms.

| measured (UTC) | commit | load at start / end | requests per call (Node / Worker) | direct ms | in the turn ms | added ms | overhead ms |
|---|---|---|---|--:|--:|--:|--:|`;

/** Adds `row` (the cells of one run) to the section, keeping the last MAX_ROWS rows. */
export function recordMcpRun(cells) {
  const previous = existsSync(PAGE) ? readFileSync(PAGE, "utf8") : "";
  const old = MARKED.exec(previous)?.[0] ?? "";
  const rows = old.split("\n").filter((line) => /^\| \d{4}-/.test(line));
  rows.push(`| ${cells.join(" | ")} |`);
  const section = `<!-- mcp:start -->\n${INTRO}\n${rows.slice(-MAX_ROWS).join("\n")}\n<!-- mcp:end -->`;
  writeFileSync(PAGE, MARKED.test(previous) ? previous.replace(MARKED, section) : `${previous.trimEnd()}\n\n${section}\n`);
  return PAGE;
}
