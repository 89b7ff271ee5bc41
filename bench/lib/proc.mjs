// Starting and stopping `wrangler dev`, and running wrangler one-shot commands.
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const ROOT = join(import.meta.dirname, "..", "..");
// Run wrangler's JS with this very Node (22), whatever `node` is first on PATH.
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const CHILD_ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" };

/** A port the OS says is free on loopback right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs `wrangler <args>` to completion (stdin closed, so prompts take their non-interactive default). */
export function wrangler(args, { cwd = ROOT, timeoutMs = 60_000 } = {}) {
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

/**
 * Starts `wrangler dev` in its own process group (wrangler, workerd and esbuild die together
 * when the group is killed), logging to `logFile`. Resolves once `readyPath` answers 200.
 */
export async function startDev({ name, args, cwd, port, readyPath, logFile, timeoutMs = 60_000 }) {
  const log = openSync(logFile, "w");
  const child = spawn(process.execPath, [WRANGLER, "dev", ...args], { cwd, env: CHILD_ENV, detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  const server = { name, child, port, logFile, base: `http://127.0.0.1:${port}`, exited: false };
  child.on("exit", () => (server.exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exited) throw new Error(`${name}: wrangler dev exited before it was ready\n${tail(logFile)}`);
    // A build error leaves wrangler waiting for a file change; fail now rather than at the timeout.
    if (/\[ERROR\]/.test(readLog(logFile))) {
      await stopDev(server);
      throw new Error(`${name}: wrangler dev reported an error while starting\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(server.base + readyPath, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return server;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  await stopDev(server);
  throw new Error(`${name}: not ready after ${timeoutMs} ms\n${tail(logFile)}`);
}

/** Stops a server's whole process group: TERM, then KILL after a grace period. */
export async function stopDev(server) {
  if (!server || server.exited) return;
  const group = -server.child.pid;
  try {
    process.kill(group, "SIGTERM");
  } catch {
    return; // already gone
  }
  for (let i = 0; i < 40 && !server.exited; i += 1) await sleep(100);
  try {
    process.kill(group, "SIGKILL");
  } catch {
    // the group is gone
  }
}

/** A log's text without terminal colour codes. */
function readLog(file) {
  try {
    return readFileSync(file, "utf8").replace(/\x1b\[[0-9;]*m/g, "");
  } catch {
    return "";
  }
}

/** The last lines of a log, for error messages. */
export function tail(file, lines = 40) {
  return readLog(file).split("\n").slice(-lines).join("\n");
}
