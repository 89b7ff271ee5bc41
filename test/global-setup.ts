import { execFileSync } from "node:child_process";

/** Copies Swagger UI's assets into public/ before the Worker starts, as `wrangler dev` and `deploy` do. */
export default function setup(): void {
  execFileSync(process.execPath, ["scripts/copy-assets.mjs"], { stdio: "inherit" });
}
