// Local development in one command (`npm run dev [-- <wrangler dev args>]`): copies the Swagger UI
// assets, builds the console, creates .dev.vars from .dev.vars.example when it is missing, applies the D1 migrations
// to the local database, seeds a dev org, user and API key (idempotently), prints those
// credentials, then runs `wrangler dev` (port 8787 unless the arguments name another), with webhook
// endpoints allowed on this machine (ALLOW_PRIVATE_WEBHOOK_URLS=true, unless the arguments set it).
//
// Everything it creates is LOCAL-DEV-ONLY: the password and the key below are public.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
// The API's own hashing code (Node ≥ 22 strips the types), so the seed cannot drift from what login checks.
import { API_KEY_SHAPE, hashPassword, sha256Hex } from "../src/lib/crypto.ts";

// Login validates emails (a TLD is required), so not `dev@localhost`: example.com is reserved for examples.
const DEV_EMAIL = "dev@example.com";
const DEV_PASSWORD = "dev-password-local-only";
const DEV_API_KEY = `evr_${"d".repeat(64)}`;
const DEV_ORG_ID = "org_000000000000000000000000000000d1";
const DEV_USER_ID = "user_000000000000000000000000000000d1";
const DEV_KEY_ID = "key_000000000000000000000000000000d1";
/** The clear-text part of a key that the API stores for listing (src/lib/crypto.ts: `evr_` + 8 hex). */
const DEV_KEY_PREFIX = DEV_API_KEY.slice(0, 12);
const DEFAULT_PORT = "8787";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const wrangler = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
const childEnv = { ...process.env, WRANGLER_SEND_METRICS: "false" };

/** Runs a setup step to completion; stops the script when it fails. */
function run(args, options = {}) {
  const result = spawnSync(process.execPath, args, { cwd: root, env: childEnv, stdio: "inherit", ...options });
  if (result.status !== 0) {
    console.error(`dev: \`${args.slice(1).join(" ")}\` failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
  return result;
}

/** The value of `--name value` or `--name=value` in the pass-through arguments. */
function optionValue(args, name) {
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === name) return args[i + 1];
    if (args[i]?.startsWith(`${name}=`)) return args[i].slice(name.length + 1);
  }
  return undefined;
}

/** A single-quoted SQL string literal. */
function sql(value) {
  return value === null ? "NULL" : `'${String(value).replaceAll("'", "''")}'`;
}

/**
 * The seed: inserted only when missing, so a restart never overwrites local data. The dev key is
 * un-revoked and un-expired, and the dev user's password reset, on every start, so the printed
 * credentials always work (AUTH_MODE=none may have created that user first). Each insert is
 * guarded on its parents existing, so an email already taken by another account cannot break it.
 */
async function seedSql() {
  if (!API_KEY_SHAPE.test(DEV_API_KEY)) throw new Error("the dev API key does not have the API's key shape");
  const now = new Date().toISOString();
  const passwordHash = await hashPassword(DEV_PASSWORD);
  const keyHash = await sha256Hex(DEV_API_KEY);
  return `
INSERT INTO orgs (id, name, created_at, updated_at)
  VALUES (${sql(DEV_ORG_ID)}, 'Dev organization', ${sql(now)}, ${sql(now)})
  ON CONFLICT DO NOTHING;
INSERT INTO users (id, email, name, password_hash, default_org_id, created_at, updated_at)
  VALUES (${sql(DEV_USER_ID)}, ${sql(DEV_EMAIL)}, 'Dev user', ${sql(passwordHash)}, ${sql(DEV_ORG_ID)}, ${sql(now)}, ${sql(now)})
  ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash
  ON CONFLICT DO NOTHING;
INSERT INTO memberships (org_id, user_id, role, created_at)
  SELECT ${sql(DEV_ORG_ID)}, ${sql(DEV_USER_ID)}, 'owner', ${sql(now)}
  WHERE EXISTS (SELECT 1 FROM users WHERE id = ${sql(DEV_USER_ID)})
  ON CONFLICT DO NOTHING;
INSERT INTO api_keys (id, user_id, org_id, name, prefix, key_hash, expires_at, last_used_at, revoked_at, created_at)
  SELECT ${sql(DEV_KEY_ID)}, ${sql(DEV_USER_ID)}, ${sql(DEV_ORG_ID)}, 'Dev key (local only)', ${sql(DEV_KEY_PREFIX)}, ${sql(keyHash)}, NULL, NULL, NULL, ${sql(now)}
  WHERE EXISTS (SELECT 1 FROM users WHERE id = ${sql(DEV_USER_ID)})
  ON CONFLICT (id) DO UPDATE SET revoked_at = NULL, expires_at = NULL;
`;
}

const passThrough = process.argv.slice(2);
const persistTo = optionValue(passThrough, "--persist-to");
const localDb = ["--local", ...(persistTo ? ["--persist-to", persistTo] : [])];
const port = optionValue(passThrough, "--port") ?? DEFAULT_PORT;

run(["scripts/copy-assets.mjs"]);
run(["scripts/build-console.mjs"]);

if (!existsSync(join(root, ".dev.vars"))) {
  copyFileSync(join(root, ".dev.vars.example"), join(root, ".dev.vars"));
  console.log("dev: created .dev.vars from .dev.vars.example (LOCAL-DEV-ONLY secrets)");
}

// CI=true: wrangler applies migrations without asking, even from an interactive terminal.
run([wrangler, "d1", "migrations", "apply", "DB", ...localDb], { env: { ...childEnv, CI: "true" } });

const seedDir = mkdtempSync(join(tmpdir(), "everruns-dev-seed-"));
try {
  const seedFile = join(seedDir, "seed.sql");
  writeFileSync(seedFile, await seedSql());
  run([wrangler, "d1", "execute", "DB", ...localDb, "--yes", "--file", seedFile], { stdio: ["ignore", "ignore", "inherit"] });
} finally {
  rmSync(seedDir, { recursive: true, force: true });
}

console.log(`
  Local dev credentials (LOCAL-DEV-ONLY, public, never deploy them):
    email     ${DEV_EMAIL}
    password  ${DEV_PASSWORD}
    API key   ${DEV_API_KEY}

  curl http://localhost:${port}/health
  curl -H 'Authorization: Bearer ${DEV_API_KEY}' http://localhost:${port}/v1/agents
  Swagger UI: http://localhost:${port}/swagger-ui/
  Webhooks:   endpoints may point at this machine (docs/WEBHOOKS.md)
  Console:    http://localhost:${port}/console/
`);

// A webhook receiver on this machine (examples/webhook-receiver.mjs, docs/WEBHOOKS.md) works with no
// setup. Passed as a var rather than written to .dev.vars, which the test projects also read.
const webhookVar = passThrough.some((a) => a.includes("ALLOW_PRIVATE_WEBHOOK_URLS")) ? [] : ["--var", "ALLOW_PRIVATE_WEBHOOK_URLS:true"];
const args = [
  ...(optionValue(passThrough, "--port") === undefined ? ["--port", DEFAULT_PORT, ...passThrough] : passThrough),
  ...webhookVar,
];
const server = spawn(process.execPath, [wrangler, "dev", ...args], { cwd: root, env: childEnv, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => server.kill(signal));
}
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
