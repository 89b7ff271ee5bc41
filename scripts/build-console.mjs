// Builds the browser console (console/) into the Worker's assets: one bundled, minified script and
// one stylesheet under public/console/assets/, and the page at public/console/index.html. Run by
// wrangler's [build] command, `npm run dev` and the test setup, like copy-assets.mjs.
//
// It fails when the gzipped JavaScript passes the console's budget (80 KiB), so the budget is
// checked on every build, not once by hand.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const BUDGET_BYTES = 80 * 1024;

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "console");
const target = join(root, "public", "console");

/** Bundles the console and returns the gzipped size of its JavaScript, in bytes. */
export async function buildConsole({ quiet = false } = {}) {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(join(target, "assets"), { recursive: true });
  await build({
    entryPoints: { console: join(source, "src", "main.tsx") },
    outdir: join(target, "assets"),
    bundle: true,
    format: "esm",
    minify: true,
    sourcemap: false,
    target: ["es2022", "chrome110", "firefox110", "safari16"],
    jsx: "automatic",
    jsxImportSource: "hono/jsx/dom",
    tsconfig: join(source, "tsconfig.json"),
    // The CSS imported by main.tsx becomes console.css next to console.js.
    loader: { ".css": "css" },
    logLevel: quiet ? "error" : "warning",
    legalComments: "none",
  });
  copyFileSync(join(source, "index.html"), join(target, "index.html"));
  const gzipped = gzipSync(readFileSync(join(target, "assets", "console.js")), { level: 9 }).length;
  if (gzipped > BUDGET_BYTES) {
    throw new Error(`console.js is ${(gzipped / 1024).toFixed(1)} KiB gzipped, over the ${BUDGET_BYTES / 1024} KiB budget`);
  }
  return gzipped;
}

// ASSETS_PREBUILT=1 (set by .ci/run once it has built the console): Workers started side by side
// must not delete and rewrite the files another one is serving.
const prebuilt = process.env.ASSETS_PREBUILT === "1" && existsSync(join(target, "assets", "console.js"));

if (process.argv[1] === fileURLToPath(import.meta.url) && !prebuilt) {
  const gzipped = await buildConsole();
  console.log(`console: built public/console (console.js ${(gzipped / 1024).toFixed(1)} KiB gzipped, budget ${BUDGET_BYTES / 1024} KiB)`);
}
