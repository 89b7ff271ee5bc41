// A bounded concurrency pool and the statistics the report needs.

/**
 * Runs `task(i)` for i = 0..count-1 with at most `concurrency` in flight, and stops starting new
 * ones once `timeLimitMs` has passed, so a slow target shortens the run instead of stretching it.
 * Returns how many tasks started and the wall time from first start to last finish.
 */
export async function pool({ count, concurrency, timeLimitMs }, task) {
  const started = performance.now();
  const deadline = started + timeLimitMs;
  let next = 0;
  const worker = async () => {
    while (next < count && performance.now() < deadline) {
      const i = next;
      next += 1;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { started: next, wallMs: performance.now() - started };
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** count, errors, rate per second and p50/p95/p99 of a list of latencies (ms). */
export function summarize(latencies, errors, wallMs) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    count: latencies.length + errors,
    errors,
    perSecond: wallMs > 0 ? (latencies.length / wallMs) * 1000 : Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
}

/**
 * Sends `count` GETs (after `warmup` unmeasured ones) and times each from the call to the end
 * of its body. A non-2xx answer, a network error or a 10 s timeout counts as an error.
 */
export async function httpLoad({ url, headers = {}, count, concurrency, warmup, timeLimitMs }) {
  const once = async () => {
    const t0 = performance.now();
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      return res.ok ? { ms: performance.now() - t0 } : { error: `HTTP ${res.status}` };
    } catch (err) {
      return { error: err.name ?? "error" };
    }
  };
  await pool({ count: warmup, concurrency, timeLimitMs: 15_000 }, once);
  const latencies = [];
  const failures = new Map();
  const { wallMs } = await pool({ count, concurrency, timeLimitMs }, async () => {
    const result = await once();
    if (result.error) failures.set(result.error, (failures.get(result.error) ?? 0) + 1);
    else latencies.push(result.ms);
  });
  const errors = [...failures.values()].reduce((a, b) => a + b, 0);
  return { ...summarize(latencies, errors, wallMs), failures: Object.fromEntries(failures) };
}
