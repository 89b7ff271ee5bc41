// End-to-end check of the browser console (`npm run e2e:console`): the `npm run dev` flow
// (migrations, the seeded dev credentials) on a free port with its own state, driven in headless
// Chromium. It signs in with the dev credentials, creates an agent with current_time, asks
// "What time is it?" (a tool card and the streamed answer), reloads in the middle of a reply
// (the reply completes once, resumed by Last-Event-ID), queues a message behind a turn and
// cancels that turn, adds a provider and a default model, registers an MCP server (its token never
// shown), has a gated tool wait for Allow on its approval card, registers a webhook endpoint at a receiver
// on loopback and sends it a test event (verified with standardwebhooks, shown as delivered), signs out
// (nothing kept), and checks that a bad API key shows the error's
// detail and request id. Screenshots go to test-results/console/.
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { launchChromium, root, runAgainstWorker, watchPage } from "./harness.mjs";

const shots = join(root, "test-results", "console");
/**
 * llmsim paces the first 32 words of a reply by this much, so a reply that echoes a long message
 * streams for about 32 × 200 ms ≈ 6 s: long enough to reload or cancel in its middle.
 */
const WORD_DELAY_MS = 200;
const STEP_TIMEOUT_MS = 20_000;
const DEV_EMAIL = "dev@example.com";
const DEV_PASSWORD = "dev-password-local-only";
const BAD_KEY = `evr_${"0".repeat(64)}`;

/** A message llmsim answers with "Echo: <message>", 40 distinct words long. */
function longMessage(tag) {
  return `Please repeat ${tag}: ${Array.from({ length: 40 }, (_, i) => `${tag}${i + 1}`).join(" ")}`;
}

function expect(failures, ok, message) {
  if (!ok) failures.push(message);
  return ok;
}

async function screenshot(page, name) {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`console: screenshot ${path}`);
}

/** The text of every agent reply bubble in the transcript. */
const replies = (page) => page.locator(".bubble-agent .reply-text").allInnerTexts();

/** Waits until a reply bubble starts with `prefix` and is still streaming. */
async function waitForStreaming(page, prefix) {
  await page.locator(".reply-streaming .reply-text", { hasText: prefix }).first().waitFor({ timeout: STEP_TIMEOUT_MS });
}

async function signIn(page, base, failures) {
  await page.goto(`${base}/console/`);
  await page.getByRole("heading", { name: "With email and password" }).waitFor();
  await screenshot(page, "01-sign-in");
  await page.getByLabel("Email", { exact: true }).fill(DEV_EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(DEV_PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "Agents" }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const kept = await page.evaluate(() => ({ session: Object.keys(sessionStorage), local: localStorage.length }));
  expect(
    failures,
    kept.session.some((k) => k.startsWith("everruns-console:")),
    "the sign-in is not kept in sessionStorage",
  );
  expect(failures, kept.local === 0, "the console wrote to localStorage");
}

async function createAgentAndSession(page) {
  await page.getByRole("link", { name: "New agent" }).click();
  await page.getByLabel("Name").fill("Clock (e2e)");
  await page.getByRole("checkbox", { name: /current_time/ }).check();
  await page.getByRole("button", { name: "Create agent" }).click();
  await page.getByRole("heading", { name: "Clock (e2e)" }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.getByLabel("Title").fill("What time is it");
  await page.getByRole("button", { name: "New session" }).click();
  await page.locator("[data-feed-status=live]").waitFor({ timeout: STEP_TIMEOUT_MS });
}

/** Sends with the keyboard: type into the labelled box, Enter. */
async function send(page, text) {
  const box = page.getByLabel("Message");
  await box.fill(text);
  await box.press("Enter");
}

async function askTheTime(page, failures) {
  await send(page, "What time is it?");
  const card = page.locator("details.tool-card", { hasText: "get_current_time" });
  await card.waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.locator(".reply-text", { hasText: "get_current_time returned" }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.locator(".turn-end", { hasText: "Completed" }).first().waitFor({ timeout: STEP_TIMEOUT_MS });
  await card.locator("summary").click();
  expect(failures, await card.getByText("Result").isVisible(), "the tool card does not open to its result");
  expect(
    failures,
    (await page.locator(".timeline svg rect").count()) >= 3,
    "the turn's timeline does not show two model calls and a tool call",
  );
  await screenshot(page, "02-tool-call-and-answer");
}

async function reloadMidReply(page, failures, sseRequests) {
  const message = longMessage("reload");
  const expected = `Echo: ${message}`;
  await send(page, message);
  await waitForStreaming(page, "Echo: Please");
  const before = sseRequests.length;
  await page.reload();
  // The reload landed mid-reply: the reloaded page shows it streaming (from the server's resume delta).
  await page.locator(".reply-streaming .reply-text", { hasText: "Echo: Please repeat reload" }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.locator(".reply-text", { hasText: "reload40" }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.locator(".turn-end").nth(1).waitFor({ timeout: STEP_TIMEOUT_MS });
  const resumed = sseRequests.slice(before);
  expect(
    failures,
    resumed.length > 0 && resumed.every((h) => typeof h["last-event-id"] === "string"),
    "the stream after the reload was not resumed with Last-Event-ID",
  );
  const texts = await replies(page);
  const matching = texts.filter((t) => t.includes("reload1"));
  expect(failures, matching.length === 1, `the reply after the reload shows ${matching.length} times`);
  expect(
    failures,
    matching[0] === expected,
    `the reply after the reload is not exactly the echo: ${JSON.stringify(matching[0]?.slice(0, 120))}…`,
  );
  const whole = await page.locator(".transcript").innerText();
  expect(
    failures,
    whole.split("reload40").length - 1 === 2,
    "the reloaded transcript repeats text (reload40 should appear in the message and its echo only)",
  );
  await screenshot(page, "03-after-reload");
}

async function queueAndCancel(page, failures) {
  await send(page, longMessage("cancel"));
  await waitForStreaming(page, "Echo: Please repeat cancel");
  await send(page, "And then say hello");
  await page.locator(".bubble-user.queued", { hasText: "And then say hello" }).getByText("queued").waitFor({ timeout: STEP_TIMEOUT_MS });
  await screenshot(page, "04-queued-during-turn");
  await page.getByRole("button", { name: "Cancel turn" }).click();
  await page.locator(".turn-end", { hasText: "Cancelled" }).waitFor({ timeout: STEP_TIMEOUT_MS });
  expect(failures, await page.locator(".reply-stopped").isVisible(), "the cut-off reply is not marked as stopped");
  // The queued message runs once the cancelled turn has ended.
  await page.locator(".reply-text", { hasText: "Echo: And then say hello" }).waitFor({ timeout: STEP_TIMEOUT_MS });
  expect(failures, (await page.locator(".bubble-user.queued").count()) === 0, "a message still shows as queued after its turn ran");
  await screenshot(page, "05-cancelled");
  await page.emulateMedia({ colorScheme: "dark" });
  await screenshot(page, "06-chat-dark");
  await page.emulateMedia({ colorScheme: "light" });
}

/** Admins add a provider (its key write-only), a model, and make that model the default. */
async function providersAndModels(page, failures) {
  const secret = "sk-e2e-never-shown-0123456789";
  await page.getByRole("link", { name: "Providers and models" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Example provider");
  await page.getByLabel("Type").selectOption("openai");
  await page.getByLabel(/^Base URL/).fill("https://llm.example.com/v1");
  await page.getByLabel(/^API key/).fill(secret);
  await page.getByRole("button", { name: "Add provider" }).click();
  const card = page.locator("article.card", { hasText: "Example provider" });
  await card.getByText("key set").waitFor({ timeout: STEP_TIMEOUT_MS });
  await card.getByLabel("Model name").fill("example-model");
  await card.getByRole("button", { name: "Add model" }).click();
  await card.getByRole("button", { name: "Make default" }).click();
  await card.locator(".badge", { hasText: "default" }).waitFor({ timeout: STEP_TIMEOUT_MS });
  expect(failures, !(await page.content()).includes(secret), "the provider's key is shown on the page");
  await screenshot(page, "07-providers-and-models");
}

/** An agent whose current_time needs approval: the chat shows the waiting call as a card, Allow runs it, and the card keeps the decision. */
async function approveAToolCall(page, failures) {
  await page.getByRole("link", { name: "Agents" }).first().click();
  await page.getByRole("link", { name: "New agent" }).click();
  await page.getByLabel("Name").fill("Gated clock (e2e)");
  await page.getByRole("checkbox", { name: /current_time/ }).check();
  await page.locator("#approval-current_time").check();
  await page.getByRole("button", { name: "Create agent" }).click();
  await page.getByRole("heading", { name: "Gated clock (e2e)" }).waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.getByLabel("Title").fill("Approve the clock");
  await page.getByRole("button", { name: "New session" }).click();
  await page.getByRole("heading", { name: "Approve the clock" }).waitFor({ timeout: STEP_TIMEOUT_MS });
  // A fresh load of the new session's page: coming from another chat, the console can keep the
  // previous chat page in the DOM beside the new one (a rendering fault outside this check).
  await page.reload();
  await page.locator("[data-feed-status=live]").waitFor({ timeout: STEP_TIMEOUT_MS });
  await send(page, "What time is it?");
  const waiting = page.locator("[data-approval=waiting]");
  await waiting.waitFor({ timeout: STEP_TIMEOUT_MS });
  expect(
    failures,
    (await page.locator(".reply-text", { hasText: "get_current_time returned" }).count()) === 0,
    "the gated tool answered before it was allowed",
  );
  await screenshot(page, "08-approval-waiting");
  // A double click sends one decision: the second click must not come back as "already decided".
  await waiting.getByRole("button", { name: "Allow", exact: true }).dblclick();
  await page.locator("[data-approval=allow]").waitFor({ timeout: STEP_TIMEOUT_MS });
  await page.locator(".reply-text", { hasText: "get_current_time returned" }).waitFor({ timeout: STEP_TIMEOUT_MS });
  expect(
    failures,
    (await page.getByText("Could not cancel or decide").count()) === 0,
    "a double click on Allow showed an error (the second click was sent too)",
  );
  expect(failures, (await page.locator("[data-approval=waiting]").count()) === 0, "the approval buttons stay after the decision");
  await screenshot(page, "09-approval-allowed");
}

/** Admins register an MCP server (its token write-only); listing the tools of one that cannot be reached shows the error; it can be removed. */
async function mcpServers(page, failures) {
  const secret = "mcp-e2e-never-shown-0123456789";
  await page.getByRole("link", { name: "MCP servers" }).click();
  await page.getByLabel(/^Name/).fill("example");
  await page.getByLabel("URL").fill("https://mcp.example.com/mcp");
  await page.getByLabel(/^Bearer token/).fill(secret);
  await page.getByRole("button", { name: "Add server" }).click();
  const card = page.locator("article.card", { hasText: "mcp.example.com" });
  await card.getByText("headers set").waitFor({ timeout: STEP_TIMEOUT_MS });
  await card.getByRole("button", { name: "List tools" }).click();
  await card.getByRole("alert").waitFor({ timeout: STEP_TIMEOUT_MS });
  expect(failures, !(await page.content()).includes(secret), "the MCP server's token is shown on the page");
  await screenshot(page, "10-mcp-servers");
  await card.getByRole("button", { name: "Remove" }).click();
  await card.waitFor({ state: "detached", timeout: STEP_TIMEOUT_MS });
}

/** A receiver on loopback that records every request (the e2e verifies them itself, once it knows the secret). */
async function startReceiver() {
  const got = [];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    got.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
    res.writeHead(204).end();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/hooks`, got, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Admins register a webhook endpoint (its secret shown once), send it a test event, and see it delivered. */
async function webhooks(page, failures) {
  const receiver = await startReceiver();
  try {
    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.getByLabel("URL").fill(receiver.url);
    await page.getByLabel(/^Description/).fill("e2e receiver");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const secret = (await page.getByTestId("webhook-secret").innerText({ timeout: STEP_TIMEOUT_MS })).trim();
    expect(failures, /^whsec_[A-Za-z0-9+/=]+$/.test(secret), `the page shows no whsec_ secret (${JSON.stringify(secret.slice(0, 10))})`);
    await screenshot(page, "12-webhook-secret");
    await page.getByRole("button", { name: "Done" }).click();
    expect(failures, !(await page.content()).includes(secret), "the secret is still on the page after Done");
    const card = page.locator("article.card", { hasText: receiver.url });
    await card.getByRole("button", { name: "Send test event" }).click();
    // The endpoint takes every event type, so the console's earlier sessions may deliver theirs
    // (a session.idle) around the test event: every delivery must verify, and one be the test.
    for (let i = 0; i < 200 && !receiver.got.some((d) => d.body.includes('"webhook.test"')); i += 1) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const types = [];
    for (const delivery of receiver.got) {
      try {
        types.push(new Webhook(secret).verify(delivery.body, delivery.headers).type);
      } catch (err) {
        failures.push(`a delivery does not verify: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    expect(
      failures,
      types.includes("webhook.test"),
      `the receiver got ${types.length} verified deliveries (${types.join(", ")}), none a webhook.test`,
    );
    await card.getByRole("button", { name: "Refresh deliveries" }).click();
    await card.locator(".delivery[data-outcome=delivered]", { hasText: "webhook.test" }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await screenshot(page, "13-webhook-delivered");
  } finally {
    await receiver.close();
  }
}

async function signOutAndBadKey(page, failures) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "With an API key" }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const kept = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith("everruns-console:")));
  expect(failures, kept.length === 0, `sign-out left ${kept.join(", ")} in sessionStorage`);
  await page.getByLabel("API key", { exact: true }).fill(BAD_KEY);
  await page.getByRole("button", { name: "Use this key" }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor({ timeout: STEP_TIMEOUT_MS });
  const requestId = (await alert.locator(".request-id").innerText()).trim();
  expect(failures, /^[\w-]{8,128}$/.test(requestId), `the error shows no request id (${JSON.stringify(requestId)})`);
  expect(failures, !(await alert.innerText()).includes("{"), "the error is shown as raw JSON");
  await alert.getByRole("button", { name: "Copy request ID" }).click();
  await alert.getByRole("button", { name: "Copied" }).waitFor({ timeout: STEP_TIMEOUT_MS });
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(failures, copied === requestId, "the copy button did not copy the request id");
  await screenshot(page, "14-bad-api-key");
}

async function checkConsole(base) {
  const failures = [];
  mkdirSync(shots, { recursive: true });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    const watch = await watchPage(page, failures);
    const sseRequests = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/sse")) sseRequests.push(request.headers());
    });
    const steps = [
      ["sign in with the dev credentials", () => signIn(page, base, failures)],
      ["create an agent with current_time and open a session", () => createAgentAndSession(page)],
      ["ask the time: a tool card and the streamed answer", () => askTheTime(page, failures)],
      ["reload in the middle of a reply", () => reloadMidReply(page, failures, sseRequests)],
      ["queue a message and cancel the turn", () => queueAndCancel(page, failures)],
      // Before the provider step: its default model points at a server that does not exist.
      ["a gated tool waits for Allow on its card, then runs", () => approveAToolCall(page, failures)],
      ["add a provider and a model, make it the default", () => providersAndModels(page, failures)],
      ["register an MCP server, list its tools (unreachable: an error), remove it", () => mcpServers(page, failures)],
      ["register a webhook endpoint and send it a test event", () => webhooks(page, failures)],
      ["sign out; a bad API key shows its request id", () => signOutAndBadKey(page, failures)],
    ];
    for (const [name, step] of steps) {
      const before = failures.length;
      try {
        await step();
      } catch (err) {
        failures.push(`${name}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
        await screenshot(page, "failure").catch(() => {});
        break;
      }
      console.log(`console: ${failures.length === before ? "ok" : "FAILED"}: ${name}`);
    }
    watch.checkHosts();
  } finally {
    await browser.close();
  }
  return failures;
}

await runAgainstWorker(
  "console",
  { devFlow: true, args: ["--var", `LLMSIM_WORD_DELAY_MS:${WORD_DELAY_MS}`, "--var", "ALLOW_PRIVATE_WEBHOOK_URLS:true"] },
  checkConsole,
);
