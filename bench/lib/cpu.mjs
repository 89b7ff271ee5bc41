// CPU time of this process (the load generator) and of its child processes (the workerd
// runtimes Miniflare started), over a window: shows which side a slow fan-out is waiting on.
// Linux only (/proc); elsewhere the server side reads as unknown.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
} catch {
  // no getconf: Linux's usual value
}

/** Every descendant of `pid`, from /proc's children lists. */
function descendants(pid) {
  const found = [];
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const task of tasks) {
    let children = "";
    try {
      children = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8");
    } catch {
      continue;
    }
    for (const child of children.split(" ").filter(Boolean).map(Number)) found.push(child, ...descendants(child));
  }
  return found;
}

/** User + system CPU ms of the child processes, or NaN where /proc cannot tell. */
function childrenCpuMs() {
  try {
    let ticks = 0;
    for (const pid of descendants(process.pid)) {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    }
    return (ticks / ticksPerSecond) * 1000;
  } catch {
    return Number.NaN;
  }
}

/** Below this a window is too short for the kernel's CPU counters (10 ms steps): no figure. */
const MIN_WINDOW_MS = 250;

/** Starts a window; the returned function gives each side's CPU as a percentage of one core. */
export function cpuWindow() {
  const started = performance.now();
  const client = process.cpuUsage();
  const server = childrenCpuMs();
  return () => {
    const wallMs = performance.now() - started;
    if (wallMs < MIN_WINDOW_MS) return { clientPct: Number.NaN, serverPct: Number.NaN };
    const used = process.cpuUsage(client);
    return {
      clientPct: ((used.user + used.system) / 1000 / wallMs) * 100,
      serverPct: ((childrenCpuMs() - server) / wallMs) * 100,
    };
  };
}
