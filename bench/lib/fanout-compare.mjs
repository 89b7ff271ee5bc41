// `--only=fanout`: the fan-out scenario (bench/lib/fanout.mjs) on this tree and, with --before, an
// older one, in one run: SSE at every size and WebSocket at the largest, the two trees' Workers
// served side by side and measured in turn at each size, so both see the same machine. Its section
// of docs/BENCHMARKS.md is replaced; the rest of the page is kept.
import { readFileSync, writeFileSync } from "node:fs";
import { apiClient } from "./api.mjs";
import { realFanout } from "./fanout.mjs";
import { loadText } from "./report.mjs";
import { ms } from "./report-tables.mjs";

const FANOUT_COMPARE_HEADING = "## Fan-out, before and after";

/** p99 targets per size (issue: ≤ 100 ms at 500, ≤ 250 ms at 1,000). */
const TARGETS = { 500: 100, 1000: 250 };

/**
 * Measures every tree's real Worker at each size (trees alternate within a size); `trees` are
 * `{label, worker, tenant}`. Each row notes the load average when it ended.
 */
export async function compareFanout(trees, { sizes, run, say }) {
  const agents = new Map();
  for (const t of trees) agents.set(t.label, await apiClient(t.worker.base, t.tenant.apiKey).createAgent());
  const plan = [...sizes.map((s) => ["sse", s]), ["ws", sizes.at(-1)]];
  const rows = [];
  for (const [kind, subscribers] of plan) {
    for (const t of trees) {
      say(`fan-out over ${kind.toUpperCase()} to ${subscribers} subscribers: ${t.label} (load ${loadText()})`);
      const api = apiClient(t.worker.base, t.tenant.apiKey);
      const real = await realFanout(api, agents.get(t.label).id, { kind, subscribers, ...run });
      rows.push({ tree: t.label, kind, subscribers, real, load: loadText() });
    }
  }
  return rows;
}

/** The section: one row per tree, transport, size and window, with the load average beside it. */
export function fanoutCompareSection({ rows, date, command, trees }) {
  const head =
    "| Tree | Transport | Subscribers | What | Deliveries | p50 ms | p99 ms | Target p99 |  | In order, complete | Load (1, 5, 15 min) |";
  const lines = [head, "|---|---|--:|---|--:|--:|--:|--:|---|---|---|"];
  for (const { tree, kind, subscribers, real, load } of rows) {
    const c = real.checks;
    const whole = `${c.inOrder} / ${c.subscribers}, ${c.complete} / ${c.subscribers}`;
    for (const [window, w] of Object.entries(real.windows)) {
      const target = TARGETS[subscribers];
      const met =
        target === undefined ? "" : w.received === w.expected && c.complete === c.subscribers && w.p99 <= target ? "met" : "**missed**";
      const what = window === "single" ? `${w.messages} messages, one at a time` : `burst of ${w.messages}`;
      const transport = kind === "sse" ? "SSE" : "WebSocket";
      lines.push(
        `| ${tree} | ${transport} | ${subscribers} | ${what} | ${w.received} / ${w.expected} | ${ms(w.p50)} | ${ms(w.p99)} | ${target ? `≤ ${target}` : ""} | ${met} | ${whole} | ${load} |`,
      );
    }
  }
  const treeLines = trees
    .map((t) => `- ${t.label}: \`${t.dir}\` at \`${t.commit}\`${t.dirty ? " plus uncommitted changes" : ""}`)
    .join("\n");
  return `${FANOUT_COMPARE_HEADING}

Measured on ${date} by \`${command}\`, all in one run on one machine; the trees' Workers are served side
by side and take turns at each size. The scenario is the fan-out one above (one session per row, a
warm-up message, single messages, then a burst; every delivery checked against the stored log). The
load average beside each row is the machine's when that row ended (2 shared cores: figures move with it).

${treeLines}

${lines.join("\n")}
`;
}

/** Replaces the section in the page (or puts it before "## Throughput…" the first time). */
export function writeFanoutSection(out, section) {
  const page = readFileSync(out, "utf8");
  const start = page.indexOf(FANOUT_COMPARE_HEADING);
  const anchor = page.indexOf("## Throughput and chat turns");
  const end = start < 0 ? anchor : page.indexOf("\n## ", start + FANOUT_COMPARE_HEADING.length) + 1;
  if (end <= 0) throw new Error(`${out} has no place for the fan-out comparison`);
  writeFileSync(out, `${page.slice(0, start < 0 ? end : start)}${section}\n${page.slice(end)}`);
}
