// A frozen, built copy of the Worker to measure: the working tree (default) or any other
// checkout (--tree, --before). Both bundles come from `wrangler deploy --dry-run`, so they are
// what a deploy would upload; the bench-only one differs only in its entry (bench/d1/entry.ts).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { ROOT, WORK_DIR, wrangler } from "./proc.mjs";

// What a Worker is built from. The copy sits inside the tree (its .wrangler/), so imports
// resolve to that tree's own node_modules; wrangler, workerd and Miniflare are this checkout's.
// Entries a tree does not have are skipped (console/ is built into the assets by newer trees).
const SNAPSHOT_ENTRIES = ["wrangler.toml", "package.json", "tsconfig.json", "src", "migrations", "scripts", "console"];
/** The bench-only entry, copied beside the snapshot's src/ at the same relative path. */
const BENCH_ENTRY = join("bench", "d1", "entry.ts");
/** A string only the bench entry contains: the deployed bundle must not. */
const BENCH_MARKER = "/__bench/d1";

const git = (dir, ...args) => execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();

/**
 * Copies `treeDir`'s Worker into `<treeDir>/.wrangler/bench-snapshot`. Why a copy: other people
 * edit src/ while the bench runs, and one run must measure one build.
 */
function snapshot(treeDir) {
  const dir = join(treeDir, ".wrangler", "bench-snapshot");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const entry of SNAPSHOT_ENTRIES) {
    if (existsSync(join(treeDir, entry))) cpSync(join(treeDir, entry), join(dir, entry), { recursive: true });
  }
  cpSync(join(ROOT, "bench", "d1"), join(dir, "bench", "d1"), { recursive: true });
  const dirty = git(treeDir, "status", "--porcelain", "--", ...SNAPSHOT_ENTRIES.filter((e) => existsSync(join(treeDir, e)))).length > 0;
  return { dir, commit: git(treeDir, "rev-parse", "--short", "HEAD"), dirty };
}

/** The modules of a dry-run bundle for Miniflare: the entry first, then its text and data modules. */
function bundleModules(outDir) {
  const kinds = {
    ".js": "ESModule",
    ".mjs": "ESModule",
    ".sql": "Text",
    ".txt": "Text",
    ".html": "Text",
    ".bin": "Data",
    ".wasm": "CompiledWasm",
  };
  const files = readdirSync(outDir).filter((f) => Object.keys(kinds).some((ext) => f.endsWith(ext)));
  const main = files.find((f) => f.endsWith(".js"));
  if (!main) throw new Error(`no JavaScript in ${outDir}`);
  const ordered = [main, ...files.filter((f) => f !== main)];
  return ordered.map((f) => ({ type: kinds[Object.keys(kinds).find((ext) => f.endsWith(ext))], path: join(outDir, f) }));
}

async function build(appDir, outDir, entry) {
  rmSync(outDir, { recursive: true, force: true });
  await wrangler(["deploy", "--dry-run", "--outdir", outDir, ...(entry ? [entry] : [])], { cwd: appDir });
  return bundleModules(outDir);
}

/**
 * Snapshots and builds a tree: `real` is the Worker as deployed, `metered` the bench-only entry
 * around the same app. Fails if the real bundle contains anything of the bench entry.
 */
export async function buildTree(treeDir, label) {
  const tree = snapshot(resolve(treeDir));
  const outRoot = join(WORK_DIR, "build", label);
  const [real, metered] = await Promise.all([
    build(tree.dir, join(outRoot, "real")),
    build(tree.dir, join(outRoot, "metered"), BENCH_ENTRY),
  ]);
  const realSource = readFileSync(real[0].path, "utf8");
  if (realSource.includes(BENCH_MARKER)) throw new Error(`the deployed bundle of ${treeDir} contains the bench entry (${BENCH_MARKER})`);
  if (!readFileSync(metered[0].path, "utf8").includes(BENCH_MARKER)) throw new Error("the metered bundle lacks the bench entry");
  return {
    label,
    treeDir: resolve(treeDir),
    appDir: tree.dir,
    commit: tree.commit,
    dirty: tree.dirty,
    configPath: join(tree.dir, "wrangler.toml"),
    modules: { real, metered },
    realBytes: Buffer.byteLength(realSource),
  };
}
