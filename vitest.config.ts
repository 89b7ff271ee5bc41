import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { relative as relativePath } from "node:path";
import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig, type Plugin } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

const migrations = await readD1Migrations(fileURLToPath(new URL("./migrations", import.meta.url)));

/** Bindings every test Worker gets: clearly-marked test-only secrets (real ones come from `wrangler secret put`). */
const baseBindings = {
  TEST_MIGRATIONS: migrations,
  JWT_SECRET: "test-only-jwt-secret-not-for-production-0123456789",
  ENCRYPTION_KEY: "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZXM=",
  // Short provider timeouts so the hang scenarios end in seconds, not a minute.
  LLM_FIRST_BYTE_TIMEOUT_MS: "2000",
  LLM_IDLE_TIMEOUT_MS: "2000",
};

/**
 * A workerd project's plugin. workerd's own diagnostics (an aborted connection, a simulated
 * restart's broken output gate) are noise beside the tests' results: WORKERD_VERBOSE=1 shows them.
 */
function workers(bindings: Record<string, unknown>) {
  return cloudflareTest({
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: { bindings: { ...baseBindings, ...bindings } },
    verbose: process.env.WORKERD_VERBOSE === "1",
  });
}

/**
 * The fake LLM server and the MCP everything servers (test/global-setup.ts) listen on 127.0.0.1,
 * so the projects that drive turns through them allow private provider and MCP URLs (and MCP
 * calls time out after 4 s, so a timeout shows in a test's lifetime); the `defaults` project keeps
 * wrangler.toml's settings (off) and shows the Worker as deployed refuses them.
 */
const localModelServers = { ALLOW_PRIVATE_PROVIDER_URLS: "true", ALLOW_PRIVATE_MCP_URLS: "true", MCP_TOOL_TIMEOUT_MS: "4000" };

/** web_fetch may read the fake web server on 127.0.0.1 too, so tools can return payloads of several MiB through the real tool path. */
const localWeb = { ALLOW_PRIVATE_FETCH_URLS: "true" };

/**
 * The webhook receiver (test/fakes/webhook-receiver.ts) listens on 127.0.0.1 too; failed
 * deliveries are retried at once instead of after 30 s, 1 min, … (the queue's own retry, with
 * delaySeconds 0), so a retry can be seen in a test's lifetime.
 */
const localWebhooks = { ALLOW_PRIVATE_WEBHOOK_URLS: "true", WEBHOOK_RETRY_BASE_SECONDS: "0" };

/** A file's trailing source map reference (a separate file or inline data). */
const MAP_COMMENT = /^\/\/# sourceMappingURL=\S+\s*$/m;

/**
 * Loads the dependencies' JavaScript without source maps. Every workerd the suite starts receives
 * each module it imports from vitest, and a dependency's map (the original source embedded, plus
 * the mappings vite adds for its own rewrite) was about half of those bytes, for stack traces into
 * packages the tests do not debug. Their frames point at the rewritten JavaScript instead. (Some
 * maps were unusable anyway: the MCP SDK's and @workflow/serde's name a `src/` their packages do
 * not ship, which vite warned about once per file.) `{ mappings: "" }` tells vite to make none.
 */
function withoutDependencySourceMaps(): Plugin {
  return {
    name: "without-dependency-source-maps",
    enforce: "pre",
    async load(id) {
      const file = id.split("?")[0] ?? id;
      if (!file.includes("/node_modules/") || !/\.[cm]?js$/.test(file)) return null;
      const code = await readFile(file, "utf8");
      return { code: code.replace(MAP_COMMENT, ""), map: { mappings: "" } };
    },
  };
}

/**
 * The order files are handed to workers, by project: the longest work first (the two fuzz files,
 * then the shared-relay and defaults projects, one file each), so it runs beside everything else
 * instead of after it; then each project's files together, so a project's workerd goes on from
 * one file to the next (vitest stops a worker when the next file in line belongs to another
 * project, and starts a new one: about 4 s of CPU). Within a project, the longest files first
 * (LONGEST), then vitest's own order (slowest first once known, largest first before).
 */
const PROJECT_ORDER = ["fuzz", "shared-relay", "defaults", "api", "node", "timing"];

/**
 * Each project's files that take longest, longest first (about 4–45 s on two cores, most of it
 * waiting on turns, streams and timeouts): started first even on a fresh clone, where vitest has
 * no timings yet and would start them by size, late, and end the run with them.
 */
const LONGEST = [
  "test/fanout-capacity.test.ts",
  "test/stream-credentials.test.ts",
  "test/turns.test.ts",
  "test/tool-approvals.test.ts",
  "test/stuck-turns.test.ts",
  "test/turn-flows.test.ts",
  "test/events-resume.test.ts",
  "test/stream-chaos.test.ts",
  "test/webhook-deliveries.test.ts",
  "test/mcp-turns.test.ts",
  "test/timing/streams.test.ts",
  "test/timing/client-tool-timeout.test.ts",
  "test/timing/stuck-turn.test.ts",
  "test/timing/protocol-heartbeats.test.ts",
];

class ByProject extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rankOf = (list: string[], name: string) => (list.includes(name) ? list.indexOf(name) : list.length);
    const project = (file: TestSpecification) => rankOf(PROJECT_ORDER, file.project.name);
    const longest = (file: TestSpecification) =>
      rankOf(LONGEST, relativePath(file.project.config.root, file.moduleId).replaceAll("\\", "/"));
    return (await super.sort(files)).sort((a, b) => project(a) - project(b) || longest(a) - longest(b));
  }
}

export default defineConfig({
  plugins: [withoutDependencySourceMaps()],
  test: {
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 20_000,
    // A passing test's log lines (the Worker's access log, warnings a test provokes on purpose)
    // are dropped; a failing test's are printed beside its failure.
    silent: "passed-only",
    // The files a worker runs for one project share its workerd (started once, its modules loaded
    // once) instead of one each: tests own their data (a tenant, a session of their own), so none
    // sees another's.
    isolate: false,
    // Slow tests are listed under their file; below this they are not worth a reader's line.
    slowTestThreshold: 3_000,
    // Two files per core and one more (five on two cores, at most eight): much of a file's time is
    // spent waiting (on turns, streams, timeouts), and the others compute meanwhile. On two cores,
    // four left the CPU idle while files waited (158 s) and six made every file wait for the CPU
    // and started more workerds (154 s); five took 148 s. The timing project has its own, below.
    maxWorkers: Math.min(8, availableParallelism() * 2 + 1),
    sequence: { sequencer: ByProject },
    projects: [
      {
        extends: true,
        plugins: [workers({ ...localModelServers, ...localWebhooks, ...localWeb })],
        test: {
          name: "api",
          include: ["test/**/*.test.ts"],
          exclude: ["test/timing/**", "test/defaults/**", "test/fuzz/**", "test/node/**", "test/shared-relay/**"],
          setupFiles: ["./test/apply-migrations.ts", "./test/log-capture.ts"],
        },
      },
      {
        // Every SSE stream through the session's shared relay object (SSE_SHARED_RELAY_FROM=0), so its
        // feed, carrier and hand-over are seen with a few streams; the api project keeps the default
        // (from 10 streams), so its tests see streams terminated by the Worker and, beyond ten, both.
        extends: true,
        plugins: [workers({ ...localModelServers, ...localWeb, SSE_SHARED_RELAY_FROM: "0" })],
        test: {
          name: "shared-relay",
          // One file: the relay's own tests, and the stream-chaos, resume and large-payload tests again
          // (its imports), every stream of theirs through the shared relay.
          include: ["test/shared-relay/shared-relay.test.ts"],
          setupFiles: ["./test/apply-migrations.ts", "./test/log-capture.ts"],
        },
      },
      {
        // Generated bad input for every operation (test/fuzz): its own project so it can run alone
        // (`npx vitest run --project fuzz`), with wrangler.toml's settings, llmsim unpaced so the
        // turns its valid messages start end at once, and a reproducible seed
        // (FUZZ_SEED=… FUZZ_RUNS=… to replay or widen a run).
        extends: true,
        plugins: [workers({ LLMSIM_WORD_DELAY_MS: "0", FUZZ_SEED: process.env.FUZZ_SEED ?? "", FUZZ_RUNS: process.env.FUZZ_RUNS ?? "" })],
        test: {
          name: "fuzz",
          include: ["test/fuzz/**/*.test.ts"],
          setupFiles: ["./test/apply-migrations.ts", "./test/log-capture.ts"],
          testTimeout: 120_000,
        },
      },
      {
        // The Worker with wrangler.toml's own settings, nothing loosened for the tests (and AUTH_MODE=none's
        // once-per-isolate warning: auth-mode-none.ts is the only module here that uses that mode).
        extends: true,
        plugins: [workers({})],
        test: {
          name: "defaults",
          include: ["test/defaults/**/*.test.ts"],
          setupFiles: ["./test/apply-migrations.ts", "./test/log-capture.ts"],
        },
      },
      {
        // The stream and turn clocks shrunk from seconds and minutes to milliseconds, so
        // heartbeats, connection cycling, backlog drops, stream caps and the turn deadline
        // can be observed in a test's lifetime.
        extends: true,
        plugins: [
          workers({
            ...localModelServers,
            SSE_HEARTBEAT_MS: "100",
            // A session's first stream is terminated by the Worker, the ones beside it by the shared
            // relay object: the cap, slow-consumer and cycle tests see both kinds at once.
            SSE_SHARED_RELAY_FROM: "1",
            SSE_CYCLE_MS: "2000",
            SSE_MAX_BUFFERED_BYTES: "262144",
            SSE_MAX_STREAMS_PER_SESSION: "3",
            SSE_MAX_STREAMS_PER_CALLER: "2",
            // Twice the fake provider's slowest reply (slow_text, about 1 s), so a reply that is slowed
            // by the files beside it still ends inside it.
            TURN_DEADLINE_MS: "2000",
            TURN_WATCHDOG_MS: "250",
            // Longer than the deadline: waiting for the client must not count toward it.
            TOOL_RESULTS_TIMEOUT_MS: "3000",
            // A call's wait for approval ends (rejected by timeout) within a test, and after the
            // deadline would have: waiting for a person must not count toward it either.
            TOOL_APPROVAL_TIMEOUT_MS: "2500",
            LLM_FIRST_BYTE_TIMEOUT_MS: "30000",
            // llmsim's paced words would outlast the 2 s connection cycle these tests measure against.
            LLMSIM_WORD_DELAY_MS: "0",
            // A hanging webhook receiver on loopback; its first retry (30 s on) comes after the test.
            ALLOW_PRIVATE_WEBHOOK_URLS: "true",
          }),
        ],
        // Its clocks are milliseconds, so it runs after the other projects, with nothing else of the
        // suite competing for the CPU: three files at a time on two cores or more (each file's tests
        // one after another), which keeps the CPU mostly idle; tests of one file run side by side
        // miss their clocks.
        test: {
          name: "timing",
          include: ["test/timing/**/*.test.ts"],
          setupFiles: ["./test/apply-migrations.ts", "./test/log-capture.ts"],
          maxWorkers: Math.min(3, availableParallelism() + 1),
          sequence: { groupOrder: 1 },
        },
      },
      {
        // Plain functions run in Node, not in workerd: the browser console's own logic (event log,
        // transcript, timeline, SSE reading), and checks that need Node (a real tokenizer to
        // measure the prompt estimate against).
        test: { name: "node", include: ["test/node/**/*.test.ts", "console/test/**/*.test.ts"], environment: "node" },
      },
    ],
  },
});
