// End-to-end check of the docs (`npm run e2e:swagger-ui`): starts the Worker with `wrangler dev`
// on a free port, opens /swagger-ui/ in headless Chromium, and checks that the operations render
// and that the page loads nothing from any host but the Worker itself (no CDN). Saves a
// screenshot to test/e2e/output/. Exits 0 when every check passes, 1 otherwise; the server is
// always stopped.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchChromium, root, runAgainstWorker, watchPage } from "./harness.mjs";

const outputDir = join(root, "test", "e2e", "output");
/** An operation the document must contain and the page must show (src/routes/agents.ts). */
const KNOWN_SUMMARY = "Create an agent";
const RENDER_TIMEOUT_MS = 30_000;

/** Opens Swagger UI and returns what failed (empty when everything passed). */
async function checkSwaggerUi(base) {
  const failures = [];
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
    const watch = await watchPage(page, failures);

    const response = await page.goto(`${base}/swagger-ui/`, { waitUntil: "load" });
    if (response?.status() !== 200) failures.push(`/swagger-ui/ answered ${response?.status()}`);
    // Swagger UI shows either the operations or, when the document failed to load, its errors.
    const rendered = await page.waitForSelector(".opblock, .errors-wrapper", { timeout: RENDER_TIMEOUT_MS }).then(
      () => true,
      () => false,
    );
    const operations = await page.locator(".opblock").count();
    if (operations > 0) {
      console.log(`swagger-ui: ${operations} operations rendered`);
      const known = await page.locator(".opblock-summary-description", { hasText: KNOWN_SUMMARY }).count();
      if (known === 0) failures.push(`the operation "${KNOWN_SUMMARY}" is not shown`);
    } else {
      const shown = (await page.locator(".errors-wrapper").allInnerTexts()).join(" ").replace(/\s+/g, " ").trim();
      failures.push(
        rendered ? `no operations rendered; Swagger UI says: ${shown}` : `nothing rendered within ${RENDER_TIMEOUT_MS / 1000}s`,
      );
    }

    mkdirSync(outputDir, { recursive: true });
    const screenshot = join(outputDir, "swagger-ui.png");
    await page.screenshot({ path: screenshot, fullPage: false });
    console.log(`swagger-ui: screenshot saved to ${screenshot}`);

    watch.checkHosts();
    console.log(`swagger-ui: ${watch.requested.length} requests, all checked for their host`);
  } finally {
    await browser.close();
  }
  return failures;
}

await runAgainstWorker("swagger-ui", {}, checkSwaggerUi);
