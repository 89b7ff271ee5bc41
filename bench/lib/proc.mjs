// Running wrangler's one-shot commands (build, migrations, seeding) and reading logs.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
/** Everything a run leaves behind: builds, logs, local state. Git-ignored (.wrangler/). */
export const WORK_DIR = join(ROOT, ".wrangler", "bench");
// Run wrangler's JS with this very Node (22), whatever `node` is first on PATH.
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const CHILD_ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" };

/** Runs `wrangler <args>` to completion (stdin closed, so prompts take their non-interactive default). */
export function wrangler(args, { cwd = ROOT, timeoutMs = 90_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], { cwd, env: CHILD_ENV, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`wrangler ${args.slice(0, 3).join(" ")} exited with ${code}:\n${output.slice(-3000)}`));
    });
  });
}

/** The last lines of a log, for error messages. */
export function tail(file, lines = 40) {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
