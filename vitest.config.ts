import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const migrations = await readD1Migrations(fileURLToPath(new URL("./migrations", import.meta.url)));

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        // Clearly-marked test-only secrets; real ones come from `wrangler secret put`.
        bindings: {
          TEST_MIGRATIONS: migrations,
          JWT_SECRET: "test-only-jwt-secret-not-for-production-0123456789",
          ENCRYPTION_KEY: "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZXM=",
          // Short provider timeouts so the hang scenarios end in seconds, not a minute.
          LLM_FIRST_BYTE_TIMEOUT_MS: "2000",
          LLM_IDLE_TIMEOUT_MS: "2000",
        },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/apply-migrations.ts"],
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 20_000,
  },
});
