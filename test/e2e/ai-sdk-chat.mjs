// End-to-end check of the AI SDK example (`npm run e2e:ai-sdk-chat`): the `npm run dev` flow on a
// free port with its own state, the example's server (examples/ai-sdk-chat) in front of it, and
// the page driven in headless Chromium: `useChat` over the stock DefaultChatTransport. It asks for
// the weather (a tool card with the built-in tool's output, then the reply), then asks a sum whose
// tool waits for approval (the card's Approve button answers it with addToolApprovalResponse, the
// tool runs and the turn finishes), then reloads the page in the middle of a long reply (useChat's `resume` picks
// the reply up through GET /v1/chat/{id}/stream, and it completes once), then stops a long reply
// (the turn is cancelled on the server, not only the page's read). Screenshots go to
// test-results/ai-sdk-chat/.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startExample } from "../../examples/ai-sdk-chat/server.mjs";
import { launchChromium, root, runAgainstWorker, watchPage } from "./harness.mjs";

const shots = join(root, "test-results", "ai-sdk-chat");
const STEP_TIMEOUT_MS = 20_000;
const DEV_KEY = `evr_${"d".repeat(64)}`;
/** llmsim paces the first 32 words of a reply by this much: a 40-word echo streams for about 6 s. */
const WORD_DELAY_MS = 200;

async function screenshot(page, name) {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`ai-sdk-chat: screenshot ${path}`);
}

/** The session once it is idle (or after the step timeout), with its stored events. */
async function waitForIdle(base, sessionId) {
  const headers = { authorization: `Bearer ${DEV_KEY}`, accept: "application/json" };
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let status;
  do {
    await new Promise((resolve) => setTimeout(resolve, 200));
    status = (await (await fetch(`${base}/v1/sessions/${sessionId}`, { headers })).json()).status;
  } while (status !== "idle" && Date.now() < deadline);
  const events = (await (await fetch(`${base}/v1/sessions/${sessionId}/events?limit=200`, { headers })).json()).data;
  return { status, events };
}

await runAgainstWorker("ai-sdk-chat", { devFlow: true, args: ["--var", `LLMSIM_WORD_DELAY_MS:${WORD_DELAY_MS}`] }, async (base) => {
  mkdirSync(shots, { recursive: true });
  const failures = [];
  const example = await startExample({ apiUrl: base, apiKey: DEV_KEY, port: 0 });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const watch = await watchPage(page, failures);
    await page.goto(example.url);
    await page.getByRole("button", { name: "Weather in Paris" }).waitFor({ timeout: STEP_TIMEOUT_MS });

    // A built-in tool: its card shows the call and the output, then the reply streams in.
    await page.getByRole("button", { name: "Weather in Paris" }).click();
    const weather = page.locator(".tool-card[data-state=output-available]", { hasText: "get_weather" });
    await weather.waitFor({ timeout: STEP_TIMEOUT_MS });
    if (!(await weather.innerText()).includes("Paris")) failures.push("the weather card does not show the call's input");
    await page.getByRole("button", { name: "Send" }).and(page.locator(":enabled")).waitFor({ timeout: STEP_TIMEOUT_MS });
    const weatherReply = await page.locator(".assistant .text").last().innerText();
    if (weatherReply.trim().length === 0) failures.push("no reply text after the weather tool");
    await screenshot(page, "01-weather-tool-card");

    // A tool behind the approval gate: the card waits for a person, Approve lets it run.
    await page.getByRole("button", { name: "Add, with approval" }).click();
    const approve = page.getByRole("button", { name: "Approve" });
    await approve.waitFor({ timeout: STEP_TIMEOUT_MS });
    await screenshot(page, "02-approval-asked");
    await approve.click();
    const added = page.locator(".tool-card[data-state=output-available]", { hasText: "add" });
    await added.waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.getByRole("button", { name: "Send" }).and(page.locator(":enabled")).waitFor({ timeout: STEP_TIMEOUT_MS });

    // The session holds the whole exchange: two turns, the approval decided by the dev key.
    const res = await fetch(`${base}/v1/sessions/${example.sessionId}/events`, {
      headers: { authorization: `Bearer ${DEV_KEY}`, accept: "application/json" },
    });
    const events = (await res.json()).data;
    const completed = events.filter((e) => e.type === "turn.completed").length;
    if (completed !== 2) failures.push(`expected 2 completed turns, found ${completed}`);
    const decided = events.filter((e) => e.type === "tool.approval_decided").map((e) => e.data.decision);
    if (JSON.stringify(decided) !== JSON.stringify(["allow"])) failures.push(`the approvals were decided as ${JSON.stringify(decided)}`);
    const result = events.find((e) => e.type === "tool.result" && e.data.name === "add");
    if (result?.data.status !== "success") failures.push(`the approved tool ended ${JSON.stringify(result?.data)}`);
    const lastReply = await page.locator(".assistant").last().innerText();
    if (!lastReply.includes("add")) failures.push("the approved call's card is not in the last assistant message");
    await screenshot(page, "03-approved");

    // A reload in the middle of a reply: the page resumes the running turn and the reply completes, once.
    const long = `Please repeat r: ${Array.from({ length: 40 }, (_, i) => `r${i + 1}`).join(" ")}`;
    await page.getByLabel("Message").fill(long);
    await page.getByRole("button", { name: "Send" }).click();
    await page.locator(".assistant .text", { hasText: "Echo: Please repeat" }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.reload();
    const resumed = page.locator(".assistant .text", { hasText: "r40" });
    await resumed.waitFor({ timeout: STEP_TIMEOUT_MS });
    const resumedText = await resumed.innerText();
    if (resumedText !== `Echo: ${long}`) failures.push(`the resumed reply is ${JSON.stringify(resumedText)}`);
    await screenshot(page, "04-resumed-after-reload");

    // Stop in the middle of a reply ends the turn on the server too, not only the page's read.
    await page.getByRole("button", { name: "Send" }).and(page.locator(":enabled")).waitFor({ timeout: STEP_TIMEOUT_MS });
    const stopped = `Please stop s: ${Array.from({ length: 40 }, (_, i) => `s${i + 1}`).join(" ")}`;
    await page.getByLabel("Message").fill(stopped);
    await page.getByRole("button", { name: "Send" }).click();
    await page.locator(".assistant .text", { hasText: "Echo: Please stop" }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.getByRole("button", { name: "Stop" }).click();
    const session = await waitForIdle(base, example.sessionId);
    const cancelled = session.events.filter((e) => e.type === "turn.cancelled").length;
    if (session.status !== "idle" || cancelled !== 1) {
      failures.push(`after Stop the session is ${session.status} with ${cancelled} turn.cancelled`);
    }
    await screenshot(page, "05-stopped");
    watch.checkHosts();
  } finally {
    await browser.close();
    await example.close();
  }
  return failures;
});
