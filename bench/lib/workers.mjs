// Serving the built Workers with Miniflare's API: no `wrangler dev`, no dev proxy. Each Worker
// gets its bindings from its wrangler.toml (unstable_getMiniflareWorkerOptions) and its own
// direct socket in workerd, so a request goes from the load generator straight to the Worker.
import { createWriteStream } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

// Miniflare as wrangler itself runs it (wrangler's own dependency, with its workerd).
const { Miniflare, convertV4MiniflareOptions } = createRequire(import.meta.resolve("wrangler"))("miniflare");

/** The API rate limit binding's limit for the run: raised, not removed, so every request still counts against it. */
const RAISED_RATE_LIMIT = 1_000_000;

/** The config's [[ratelimits]] with the limit raised (the period must stay 10 or 60). */
function raisedRateLimits(ratelimits = {}) {
  return Object.fromEntries(
    Object.entries(ratelimits).map(([name, r]) => [
      name,
      { namespace_id: r.namespace_id, simple: { limit: RAISED_RATE_LIMIT, period: r.simple?.period ?? 60 } },
    ]),
  );
}

/**
 * Starts one Worker: `modules` (a built bundle, entry first) with the bindings of `configPath`,
 * `vars` added, D1 and Durable Objects persisted under `persistRoot`. Its console output goes
 * to `logFile`. Returns its base URL and a stop function.
 */
export async function startWorker({ name, configPath, modules, vars, persistRoot, logFile }) {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(configPath);
  // modulesRules are for finding modules from a script path; the bundle lists its modules.
  const { modulesRules: _rules, ratelimits, bindings, ...options } = workerOptions;
  const log = createWriteStream(logFile);
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      resourcePersistencePath: persistRoot,
      handleStructuredLogs: ({ level, message }) => log.write(`${level} ${message}\n`),
      workers: [
        {
          ...options,
          name,
          modules,
          // Module names are relative to the bundle, as its imports are (the .sql text modules).
          modulesRoot: dirname(modules[0].path),
          bindings: { ...bindings, ...vars },
          ratelimits: raisedRateLimits(ratelimits),
          unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
        },
      ],
    }),
  );
  try {
    await mf.ready;
    const direct = await mf.unsafeGetDirectURL(name);
    return {
      name,
      mf,
      logFile,
      base: direct.origin,
      async stop() {
        await mf.dispose().catch(() => undefined);
        log.end();
      },
    };
  } catch (err) {
    await mf.dispose().catch(() => undefined);
    log.end();
    throw err;
  }
}
