// End-to-end check of the docs (`npm run e2e`): starts the Worker with `wrangler dev` on a free
// port, opens /swagger-ui/ in headless Chromium, and checks that the operations render and that
// the page loads nothing from any host but the Worker itself (no CDN). Saves a screenshot to
// test/e2e/output/. Exits 0 when every check passes, 1 otherwise; the server is always stopped.
//
// CHROMIUM_PATH overrides the browser binary (default: Debian's /usr/bin/chromium).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const outputDir = join(root, "test", "e2e", "output");
const require = createRequire(import.meta.url);
const wrangler = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1"]);
/** An operation the document must contain and the page must show (src/routes/agents.ts). */
const KNOWN_SUMMARY = "Create an agent";
const STARTUP_TIMEOUT_MS = 90_000;
const RENDER_TIMEOUT_MS = 30_000;

/** A TCP port that was free a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** `wrangler dev` in its own process group (so it and its workerd children stop together), with its own local state. */
function startWorker(port, stateDir) {
  const args = [wrangler, "dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", stateDir];
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

/** Polls /health until the Worker answers 200, or fails after the timeout (or when wrangler exits). */
async function waitUntilReady(base, worker) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (worker.child.exitCode !== null) throw new Error(`wrangler dev exited with ${worker.child.exitCode}`);
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

/** Opens Swagger UI and returns what failed (empty when everything passed). */
async function checkSwaggerUi(base) {
  const failures = [];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
    const requested = [];
    page.on("request", (request) => requested.push(request.url()));
    page.on("pageerror", (err) => failures.push(`uncaught page error: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error" && /Content Security Policy/i.test(msg.text())) {
        failures.push(`CSP violation: ${msg.text()}`);
      }
    });
    // Anything not served by the Worker is refused, so an external load fails fast instead of hanging.
    await page.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === "data:" || url.protocol === "blob:" || LOCAL_HOSTS.has(url.hostname)) return route.continue();
      return route.abort("blockedbyclient");
    });

    const response = await page.goto(`${base}/swagger-ui/`, { waitUntil: "load" });
    if (response?.status() !== 200) failures.push(`/swagger-ui/ answered ${response?.status()}`);
    // Swagger UI shows either the operations or, when the document failed to load, its errors.
    const rendered = await page
      .waitForSelector(".opblock, .errors-wrapper", { timeout: RENDER_TIMEOUT_MS })
      .then(() => true, () => false);
    const operations = await page.locator(".opblock").count();
    if (operations > 0) {
      console.log(`swagger-ui: ${operations} operations rendered`);
      const known = await page.locator(".opblock-summary-description", { hasText: KNOWN_SUMMARY }).count();
      if (known === 0) failures.push(`the operation "${KNOWN_SUMMARY}" is not shown`);
    } else {
      const shown = (await page.locator(".errors-wrapper").allInnerTexts()).join(" ").replace(/\s+/g, " ").trim();
      failures.push(rendered ? `no operations rendered; Swagger UI says: ${shown}` : `nothing rendered within ${RENDER_TIMEOUT_MS / 1000}s`);
    }

    mkdirSync(outputDir, { recursive: true });
    const screenshot = join(outputDir, "swagger-ui.png");
    await page.screenshot({ path: screenshot, fullPage: false });
    console.log(`swagger-ui: screenshot saved to ${screenshot}`);

    for (const url of requested) {
      const { protocol, hostname } = new URL(url);
      if (protocol !== "data:" && protocol !== "blob:" && !LOCAL_HOSTS.has(hostname)) {
        failures.push(`request to a non-local host: ${url}`);
      }
    }
    console.log(`swagger-ui: ${requested.length} requests, all checked for their host`);
  } finally {
    await browser.close();
  }
  return failures;
}

const stateDir = mkdtempSync(join(tmpdir(), "everruns-e2e-"));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const worker = startWorker(port, stateDir);
const stopOnSignal = async () => {
  await worker.stop();
  process.exit(130);
};
process.once("SIGINT", stopOnSignal);
process.once("SIGTERM", stopOnSignal);

let failures;
try {
  await waitUntilReady(base, worker);
  failures = await checkSwaggerUi(base);
} catch (err) {
  failures = [`e2e run failed: ${err instanceof Error ? err.message : String(err)}`];
} finally {
  await worker.stop();
  rmSync(stateDir, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`swagger-ui e2e FAILED:\n  - ${failures.join("\n  - ")}`);
  console.error(`--- wrangler dev output (last 3000 chars) ---\n${worker.output().slice(-3000)}`);
  process.exit(1);
}
console.log("swagger-ui e2e passed");
