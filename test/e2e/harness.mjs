// What the end-to-end checks share: a Worker started on a free port with its own local state
// (stopped with its whole process group), a wait for /health, and Debian's headless Chromium
// (playwright-core drives it; no browser is downloaded) with every non-local request refused.
//
// CHROMIUM_PATH overrides the browser binary (default: Debian's /usr/bin/chromium).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(import.meta.url);
const wrangler = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1"]);
const STARTUP_TIMEOUT_MS = 90_000;

/** A TCP port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** `count` different ports, each free a moment ago. */
export async function distinctFreePorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** A Node script in its own process group (so it and its workerd children stop together). */
function startProcess(args) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      return; // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, stop, output: () => output };
}

/**
 * Starts the Worker on `port` with its own `stateDir`: bare `wrangler dev`, or with `devFlow` the
 * whole `npm run dev` flow (scripts/dev.mjs: assets, migrations, the seeded dev credentials).
 * `args` go to wrangler dev (e.g. `--var NAME:VALUE`). `inspectorPort` must be free too: left to
 * itself, every wrangler dev probes 9229, and checks started together race for it.
 */
export function startWorker({ port, inspectorPort, stateDir, devFlow = false, args = [] }) {
  const common = [
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--ip",
    "127.0.0.1",
    "--persist-to",
    stateDir,
    ...args,
  ];
  return startProcess(devFlow ? [join(root, "scripts", "dev.mjs"), ...common] : [wrangler, "dev", ...common]);
}

/** Polls /health until the Worker answers 200, or fails after the timeout (or when it exits). */
export async function waitUntilReady(base, worker) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (worker.child.exitCode !== null) throw new Error(`the Worker exited with ${worker.child.exitCode}`);
    try {
      const res = await fetch(`${base}/health`);
      await res.body?.cancel();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the Worker did not answer /health within ${STARTUP_TIMEOUT_MS / 1000}s`);
}

/** Debian's Chromium, headless, with nothing that reaches the network on its own. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export function isLocalUrl(url) {
  const { protocol, hostname } = new URL(url);
  return protocol === "data:" || protocol === "blob:" || LOCAL_HOSTS.has(hostname);
}

/**
 * Records what a page does wrong into `failures`: uncaught errors, CSP violations, requests to
 * any other host (refused at once, so an external load fails fast instead of hanging).
 */
export async function watchPage(page, failures) {
  const requested = [];
  page.on("request", (request) => requested.push(request.url()));
  page.on("pageerror", (err) => failures.push(`uncaught page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy/i.test(msg.text())) failures.push(`CSP violation: ${msg.text()}`);
  });
  await page.route("**/*", (route) => (isLocalUrl(route.request().url()) ? route.continue() : route.abort("blockedbyclient")));
  return {
    requested,
    /** Adds a failure for every request that went to another host. */
    checkHosts() {
      for (const url of requested) if (!isLocalUrl(url)) failures.push(`request to a non-local host: ${url}`);
    },
  };
}

/**
 * Runs one end-to-end check against a fresh Worker and exits 0 when `check` returned no
 * failures, 1 otherwise (printing the Worker's output); the Worker is always stopped.
 * E2E_BASE_URL runs it against a Worker you started yourself instead (while working on a check).
 */
export async function runAgainstWorker(name, { devFlow = false, args = [] }, check) {
  if (process.env.E2E_BASE_URL) {
    const failures = await check(process.env.E2E_BASE_URL).catch((err) => [`e2e run failed: ${err?.stack ?? err}`]);
    if (failures.length > 0) console.error(`${name} e2e FAILED:\n  - ${failures.join("\n  - ")}`);
    process.exit(failures.length > 0 ? 1 : 0);
  }
  const stateDir = mkdtempSync(join(tmpdir(), "everruns-e2e-"));
  const [port, inspectorPort] = await distinctFreePorts(2);
  const base = `http://127.0.0.1:${port}`;
  const worker = startWorker({ port, inspectorPort, stateDir, devFlow, args });
  const stopOnSignal = async () => {
    await worker.stop();
    process.exit(130);
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);

  let failures;
  try {
    await waitUntilReady(base, worker);
    failures = await check(base);
  } catch (err) {
    failures = [`e2e run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`];
  } finally {
    await worker.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }

  if (failures.length > 0) {
    console.error(`${name} e2e FAILED:\n  - ${failures.join("\n  - ")}`);
    console.error(`--- Worker output (last 3000 chars) ---\n${worker.output().slice(-3000)}`);
    process.exit(1);
  }
  console.log(`${name} e2e passed`);
}
