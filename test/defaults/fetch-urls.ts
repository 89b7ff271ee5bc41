import { describe, expect, it } from "vitest";
import { isEnd } from "../support/events";
import { createAgent, createSession, sendMessage } from "../support/resources";
import { openStream, SseReader } from "../support/sse-reader";
import { newTenant } from "../support/tenants";

// With wrangler.toml's settings (ALLOW_PRIVATE_FETCH_URLS off, as deployed), web_fetch refuses
// private addresses; the other projects allow them so tools can read the fake web server.
describe("web_fetch URLs as deployed", () => {
  it("answers a refused web_fetch with an error result, not a failed turn", async () => {
    const t = await newTenant();
    const agent = await createAgent(t, { capabilities: ["web_fetch"] });
    const session = await createSession(t, agent.id);
    const reader = new SseReader(await openStream(t, session.id));
    await sendMessage(t, session.id, "please fetch https://169.254.169.254/latest/meta-data");
    const events = await reader.collectUntil(isEnd);
    await reader.cancel();
    expect(events.find((e) => e.type === "tool.result")?.data).toMatchObject({
      name: "web_fetch",
      status: "error",
      error: expect.stringContaining("not a public one"),
    });
    expect(events.some((e) => e.type === "turn.completed")).toBe(true);
  });
});
