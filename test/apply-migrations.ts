import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Idempotent: applies only migrations this test run's D1 has not seen yet.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
