// Getting a Worker ready to measure: a fresh local D1 with the migrations applied, and a bench
// org, user and API key in it.
import { createHash, randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { wrangler } from "./proc.mjs";

/** Deletes `stateDir` and applies every migration of the tree in `appDir` to a fresh local D1 there. */
export async function freshDatabase(appDir, stateDir) {
  rmSync(stateDir, { recursive: true, force: true });
  await wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir], { cwd: appDir });
}

/** Where Miniflare keeps what `--persist-to stateDir` wrote (wrangler's own layout). */
export function persistRoot(stateDir) {
  return join(stateDir, "v3");
}

/** `{prefix}_{32 hex}` from a UUIDv7 layout (48-bit ms time, version 7, variant 10, random). */
function newId(prefix) {
  const hex = Date.now().toString(16).padStart(12, "0") + randomBytes(10).toString("hex");
  const variant = ((Number.parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${prefix}_${hex.slice(0, 12)}7${hex.slice(13, 16)}${variant}${hex.slice(17, 32)}`;
}

/** A random API key and the INSERT that stores its hash for `userId` in `orgId`. */
function apiKeyRow(userId, orgId, name, now) {
  const key = `evr_${randomBytes(32).toString("hex")}`;
  const hash = createHash("sha256").update(key).digest("hex");
  const sql = `INSERT INTO api_keys (id, user_id, org_id, name, prefix, key_hash, created_at)
       VALUES ('${newId("key")}', '${userId}', '${orgId}', '${name}', '${key.slice(0, 12)}', '${hash}', '${now}');`;
  return { key, sql };
}

/**
 * Inserts an org, its owner, an API key and `spareKeys` more keys straight into D1 (API keys
 * cannot make API keys, and the bench never logs in). The spare keys are for first uses: a key
 * this isolate has not seen yet. Keys are random per run and live only in this process; the
 * user has no usable password.
 */
export async function seedTenant(appDir, stateDir, { spareKeys = 0 } = {}) {
  const now = new Date().toISOString();
  const orgId = newId("org");
  const userId = newId("user");
  const main = apiKeyRow(userId, orgId, "bench", now);
  const spares = Array.from({ length: spareKeys }, (_, i) => apiKeyRow(userId, orgId, `bench spare ${i}`, now));
  const sql = [
    `INSERT INTO orgs (id, name, created_at, updated_at) VALUES ('${orgId}', 'Bench org', '${now}', '${now}');`,
    `INSERT INTO users (id, email, name, password_hash, default_org_id, created_at, updated_at)
       VALUES ('${userId}', 'bench@example.invalid', 'Bench', 'bench-no-login', '${orgId}', '${now}', '${now}');`,
    `INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ('${orgId}', '${userId}', 'owner', '${now}');`,
    main.sql,
    ...spares.map((s) => s.sql),
  ].join("\n");
  await wrangler(["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--command", sql], { cwd: appDir });
  return { orgId, userId, apiKey: main.key, spareKeys: spares.map((s) => s.key) };
}

/** Bench-only secrets, random per run and never written to disk: nothing here is a real credential. */
export function benchSecrets() {
  return { JWT_SECRET: randomBytes(32).toString("hex"), ENCRYPTION_KEY: randomBytes(32).toString("base64") };
}
