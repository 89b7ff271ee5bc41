// Copies Swagger UI's browser assets from the swagger-ui-dist package into public/,
// so the Worker serves them itself (no CDN: the docs work offline and under strict CSPs).
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const source = dirname(require.resolve("swagger-ui-dist/package.json"));
const target = join(dirname(fileURLToPath(import.meta.url)), "..", "public", "swagger-ui", "vendor");

const FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"];

// ASSETS_PREBUILT=1 (set by .ci/run once it has built them): Workers started side by side must not
// rewrite files another one is serving.
if (process.env.ASSETS_PREBUILT === "1" && FILES.every((file) => existsSync(join(target, file)))) process.exit(0);

mkdirSync(target, { recursive: true });
for (const file of FILES) {
  copyFileSync(join(source, file), join(target, file));
}
