import { describe, expect, inject, it } from "vitest";
import { type CutResult, escapedBytes, MAX_STORED_PART_BYTES, utf8Bytes } from "../../src/lib/payload-limit";
import type { EventEnvelope } from "../../src/session/rpc";
import { HUGE_TEXT_BYTES } from "../fakes/scenarios";
import { isEnd, listEvents, stored } from "../support/events";
import { fakeModel, lastRequest, scenarioBase } from "../support/models";
import { createAgent, createSession, listMessages, sendMessage } from "../support/resources";
import { openStream, SseReader } from "../support/sse-reader";
import { newTenant, type Tenant } from "../support/tenants";

const webPort = inject("fakeWebPort");

/** Every stored event, page by page (a page of large events holds few). */
async function allStoredEvents(t: Tenant, sessionId: string): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  for (;;) {
    const page = await listEvents(t, sessionId, `?after_sequence=${out.at(-1)?.sequence ?? 0}&limit=100`);
    if (page.length === 0) return out;
    out.push(...(page as EventEnvelope[]));
  }
}

/** Runs one turn of `scenario` on the fake OpenAI server, reading the session's stream throughout. */
async function turnOn(scenario: string, text: string, agent: Record<string, unknown> = {}) {
  const t = await newTenant();
  const base = scenarioBase("openai", scenario);
  const modelId = await fakeModel(t, "openai", base);
  const created = await createAgent(t, { default_model_id: modelId, ...agent });
  const session = await createSession(t, created.id);
  const reader = new SseReader(await openStream(t, session.id));
  await sendMessage(t, session.id, text);
  const streamed = await reader.collectUntil(isEnd, 45_000);
  await reader.cancel();
  return { t, base, session, streamed };
}

/** The stream delivered every stored event once, in order, and they are the ones stored. */
async function expectStreamWhole(t: Tenant, sessionId: string, streamed: EventEnvelope[]) {
  const log = await allStoredEvents(t, sessionId);
  expect(log.map((e) => e.sequence)).toEqual(log.map((_, i) => i + 1));
  expect(stored(streamed).map((e) => e.id)).toEqual(log.map((e) => e.id).slice(log.length - stored(streamed).length));
  expect(stored(streamed).at(-1)?.type).toBe("session.completed");
  return log;
}

// Turns that move MiBs through the fake servers and the stream: a minute each at most, also on a busy machine.
describe("payloads larger than a storage row", { timeout: 60_000 }, () => {
  it("stores a web_fetch result of MiBs of quotes and backslashes cut, marked with its size; the model reads the cut text and the turn completes", async () => {
    const fetched = 4 * 1024 * 1024;
    const url = `http://127.0.0.1:${webPort}/fill/${fetched}`;
    const { t, base, session, streamed } = await turnOn("fetch_then_text", `fetch ${url}`, {
      capabilities: [{ ref: "web_fetch", config: { max_bytes: 1024 * 1024 } }],
    });
    expect(streamed.map((e) => e.type)).not.toContain("turn.failed");
    expect(streamed.some((e) => e.type === "turn.completed")).toBe(true);

    // What web_fetch returned (the tool reads at most 1 MiB): its JSON text is twice that once escaped.
    const whole = { url, status: 200, content_type: "text/plain", content: '"\\'.repeat(512 * 1024), bytes: 1024 * 1024, truncated: true };
    const wholeJson = JSON.stringify(whole);
    const result = streamed.find((e) => e.type === "tool.result")?.data as { status: string; result: CutResult };
    expect(result.status).toBe("success");
    expect(result.result.truncated).toBe(true);
    expect(result.result.original_bytes).toBe(utf8Bytes(wholeJson));
    expect(result.result.original_bytes).toBeGreaterThan(2_000_000);
    expect(wholeJson.startsWith(result.result.text)).toBe(true);
    expect(utf8Bytes(JSON.stringify(result.result))).toBeLessThanOrEqual(MAX_STORED_PART_BYTES);
    expect(escapedBytes(result.result.text)).toBeGreaterThan(MAX_STORED_PART_BYTES - 100);

    // Stored the same way: the tool_result message holds the cut result.
    const messages = await listMessages(t, session.id);
    const toolMessage = messages.find((m) => m.role === "tool_result");
    expect(toolMessage?.content[0]).toMatchObject({ type: "tool_result", result: result.result });

    // The model's next call got the cut text as the tool's content.
    const { body } = await lastRequest(base);
    const toolContent = (body.messages as Array<{ role: string; content: string }>).find((m) => m.role === "tool")?.content ?? "";
    expect(JSON.parse(toolContent)).toEqual(result.result);
    expect(messages.at(-1)?.content).toEqual([{ type: "text", text: "Fetched." }]);
    await expectStreamWhole(t, session.id, streamed);
  });

  it("stores a reply over the limit cut and marked, while the stream delivered all of it", async () => {
    const { t, session, streamed } = await turnOn("huge_text", "say a lot");
    expect(streamed.some((e) => e.type === "turn.completed")).toBe(true);
    const deltas = streamed.filter((e) => e.type === "message.delta").map((e) => e.data as { delta: string; accumulated: string });
    const full = deltas.map((d) => d.delta).join("");
    expect(full.length).toBe(HUGE_TEXT_BYTES);
    expect(deltas.at(-1)?.accumulated).toBe(full);

    const created = streamed.find((e) => e.type === "message.created" && (e.data.message as { role: string }).role === "agent");
    const part = (created?.data.message as { content: Array<{ text: string; truncated?: boolean; original_bytes?: number }> } | undefined)
      ?.content[0];
    expect(part?.truncated).toBe(true);
    expect(part?.original_bytes).toBe(HUGE_TEXT_BYTES);
    expect(full.startsWith(part?.text ?? "-")).toBe(true);
    expect(escapedBytes(part?.text ?? "")).toBeLessThanOrEqual(MAX_STORED_PART_BYTES);

    const reply = (await listMessages(t, session.id)).find((m) => m.role === "agent");
    expect(reply?.content).toEqual([{ type: "text", text: part?.text, truncated: true, original_bytes: HUGE_TEXT_BYTES }]);
    await expectStreamWhole(t, session.id, streamed);
  });
});
