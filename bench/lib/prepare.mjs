// Getting the real Worker ready to measure: a frozen copy of the source, a fresh local D1 with
// the migrations applied, and a bench org, user and API key.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT, wrangler } from "./proc.mjs";

export const WORK_DIR = join(ROOT, ".wrangler", "bench");
export const STATE_DIR = join(ROOT, ".wrangler", "bench-state");
const SNAPSHOT_DIR = join(WORK_DIR, "app");
// What the Worker is built from. node_modules is found by walking up to ROOT, so it is not copied.
const SNAPSHOT_ENTRIES = ["wrangler.toml", "package.json", "tsconfig.json", "src", "migrations", "scripts", "public"];

/**
 * Copies the working tree's Worker into .wrangler/bench/app. Why: `wrangler dev` rebuilds and
 * restarts the Worker whenever src/ changes, and other people edit src/ while the bench runs;
 * a copy keeps one build for the whole run. Returns the commit and whether the tree was dirty.
 */
export function snapshotApp() {
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(SNAPSHOT_DIR, { recursive: true });
  for (const entry of SNAPSHOT_ENTRIES) {
    cpSync(join(ROOT, entry), join(SNAPSHOT_DIR, entry), { recursive: true, force: true, errorOnExist: false });
  }
  // Swagger UI assets: the same step the Worker's [build] runs, done once here.
  execFileSync(process.execPath, [join(SNAPSHOT_DIR, "scripts", "copy-assets.mjs")], { cwd: SNAPSHOT_DIR });
  const git = (...args) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
  const dirty = git("status", "--porcelain", "--", ...SNAPSHOT_ENTRIES).length > 0;
  return { dir: SNAPSHOT_DIR, commit: git("rev-parse", "--short", "HEAD"), dirty };
}

/** Deletes the bench's local D1 and applies every migration to a fresh one. */
export async function freshDatabase(appDir) {
  rmSync(STATE_DIR, { recursive: true, force: true });
  await wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", STATE_DIR], { cwd: appDir });
}

/** `{prefix}_{32 hex}` from a UUIDv7 layout (48-bit ms time, version 7, variant 10, random). */
function newId(prefix) {
  const hex = Date.now().toString(16).padStart(12, "0") + randomBytes(10).toString("hex");
  const variant = ((Number.parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${prefix}_${hex.slice(0, 12)}7${hex.slice(13, 16)}${variant}${hex.slice(17, 32)}`;
}

/**
 * Inserts an org, its owner and an API key straight into D1. The key is random per run and
 * lives only in this process; the user has no usable password (the bench never logs in).
 */
export async function seedTenant(appDir) {
  const now = new Date().toISOString();
  const orgId = newId("org");
  const userId = newId("user");
  const keyId = newId("key");
  const apiKey = `evr_${randomBytes(32).toString("hex")}`;
  const keyHash = createHash("sha256").update(apiKey).digest("hex");
  const sql = [
    `INSERT INTO orgs (id, name, created_at, updated_at) VALUES ('${orgId}', 'Bench org', '${now}', '${now}');`,
    `INSERT INTO users (id, email, name, password_hash, default_org_id, created_at, updated_at)
       VALUES ('${userId}', 'bench@example.invalid', 'Bench', 'bench-no-login', '${orgId}', '${now}', '${now}');`,
    `INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ('${orgId}', '${userId}', 'owner', '${now}');`,
    `INSERT INTO api_keys (id, user_id, org_id, name, prefix, key_hash, created_at)
       VALUES ('${keyId}', '${userId}', '${orgId}', 'bench', '${apiKey.slice(0, 12)}', '${keyHash}', '${now}');`,
  ].join("\n");
  await wrangler(["d1", "execute", "DB", "--local", "--persist-to", STATE_DIR, "--command", sql], { cwd: appDir });
  return { orgId, userId, apiKey };
}

/** Bench-only secrets, random per run and never written to disk: nothing here is a real credential. */
export function benchSecrets() {
  return { JWT_SECRET: randomBytes(32).toString("hex"), ENCRYPTION_KEY: randomBytes(32).toString("base64") };
}
