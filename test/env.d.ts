import type { D1Migration } from "cloudflare:test";
import type { Env as AppBindings } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends AppBindings {
      TEST_MIGRATIONS: D1Migration[];
      /** The fuzz project's seed and cases per operation (vitest.config.ts, from the environment). */
      FUZZ_SEED?: string;
      FUZZ_RUNS?: string;
    }
    interface GlobalProps {
      mainModule: typeof import("../src/index");
      durableNamespaces: "SessionObject" | "RateLimiter";
    }
  }
}
