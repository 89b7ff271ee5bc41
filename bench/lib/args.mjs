// The bench's command line.
//
//   npm run bench                                 measure, print, write docs/BENCHMARKS.md
//   npm run bench -- --no-write                   measure and print only
//   npm run bench -- --d1-latency=25              the delay per D1 call of the remote-D1 runs (ms)
//   npm run bench -- --before=/tmp/bench-before   also measure that checkout's remote-D1 figures
//                                                 ("before"), and record them in bench/records/
//   npm run bench -- --tree=/some/checkout        measure that checkout instead of this one
//   npm run bench -- --quick                      small counts, to check the harness (writes no page
//                                                 unless --out names one)
//   npm run bench -- --out=/tmp/page.md           write the page there instead of docs/BENCHMARKS.md
//   npm run bench -- --only=webhooks              only the webhook scenario; its section of the page
//                                                 is replaced (the rest of the page is kept)
//   npm run bench -- --only=fanout --before=/tmp/bench-before
//                                                 only fan-out (SSE at 100, 500 and 1,000, WebSocket at
//                                                 1,000) on this tree and the before tree, in one run;
//                                                 its section of the page is replaced
import { join, resolve } from "node:path";
import { ROOT } from "./proc.mjs";

export function parseArgs(argv) {
  const value = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const known = ["--no-write", "--quick", "--d1-latency=", "--before=", "--tree=", "--out=", "--only="];
  const unknown = argv.filter((a) => !known.some((k) => (k.endsWith("=") ? a.startsWith(k) : a === k)));
  if (unknown.length > 0) throw new Error(`unknown option(s): ${unknown.join(" ")} (see bench/lib/args.mjs)`);
  const latency = Number(value("d1-latency") ?? 25);
  if (!Number.isFinite(latency) || latency < 0 || latency > 1000) throw new Error("--d1-latency must be a number of ms between 0 and 1000");
  const quick = argv.includes("--quick");
  const only = value("only") ?? null;
  if (only !== null && only !== "webhooks" && only !== "fanout") throw new Error("--only takes webhooks or fanout");
  const out = value("out");
  return {
    write: !argv.includes("--no-write") && (!quick || out !== undefined),
    out: out ? resolve(out) : join(ROOT, "docs", "BENCHMARKS.md"),
    quick,
    only,
    latencyMs: latency,
    tree: value("tree") ? resolve(value("tree")) : null,
    before: value("before") ? resolve(value("before")) : null,
    command: ["npm run bench", ...(argv.length > 0 ? ["--", ...argv] : [])].join(" "),
  };
}
