import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sessionStub } from "../src/services/session-client";
import type { SessionObject } from "../src/session/session-object";
import { sleep } from "./support/async";
import { capturedLogsWithoutKey } from "./support/console";
import { isEnd, listEvents, stored, TERMINAL } from "./support/events";
import { FAKE_PROVIDER_KEY, scenarioBase } from "./support/models";
import { type Caller, callAs } from "./support/requests";
import { getSession, listMessages, sendMessage } from "./support/resources";
import { turnSetup } from "./support/sessions";
import { openStream, SseReader } from "./support/sse-reader";

/** Polls the JSON event list until `done` holds (turns that run with no stream open). */
async function waitForEvents(t: Caller, id: string, done: (events: Awaited<ReturnType<typeof listEvents>>) => boolean) {
  for (let attempt = 0; ; attempt += 1) {
    const events = await listEvents(t, id);
    if (done(events) || attempt >= 100) return events;
    await sleep(100);
  }
}

/** Reads until the turn's `turn.started` arrives (the turn is running). */
async function untilStarted(reader: SseReader) {
  return reader.collectUntil((e) => e.type === "turn.started");
}

describe("turns", () => {
  capturedLogsWithoutKey();

  it("answers with the built-in llmsim model when nothing else is configured", async () => {
    const { t, session, reader } = await turnSetup();
    await sendMessage(t, session.id, "hello there");
    const events = await reader.collectUntil(isEnd);
    await reader.cancel();
    const reply = stored(events).find((e) => e.type === "message.created" && (e.data.message as { role: string }).role === "agent");
    expect(reply?.data.message).toMatchObject({ role: "agent", content: [{ type: "text", text: "Echo: hello there" }] });
    const completed = events.find((e) => e.type === "turn.completed");
    expect(completed?.data).toMatchObject({
      iterations: 1,
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) },
    });
    const after = await getSession(t, session.id);
    expect(after.status).toBe("idle");
    expect(after.usage.output_tokens).toBeGreaterThan(0);
    expect(after.started_at).not.toBeNull();
    expect(after.finished_at).not.toBeNull();
    expect(events.at(-1)?.data).toEqual({ status: "idle", usage: after.usage });
  });

  it("coalesces a fast reply's deltas, each carrying the reply so far", async () => {
    const { t, session, reader } = await turnSetup();
    const words = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ");
    await sendMessage(t, session.id, words);
    const events = await reader.collectUntil(isEnd);
    await reader.cancel();
    const deltaEvents = events.filter((e) => e.type === "message.delta");
    const deltas = deltaEvents.map((e) => e.data as { delta: string; accumulated: string });
    // llmsim paces only its first 32 words (LLMSIM_WORD_DELAY_MS, ~0.5 s) and yields the rest at
    // once. The first delta goes out at once, then at most one per TURN_DELTA_BATCH_MS (100 ms),
    // then the rest when the reply ends: a handful for the time the reply took, never one per word
    // (however slow the machine makes the paced words).
    const spanMs = Date.parse(deltaEvents.at(-1)?.ts ?? "") - Date.parse(deltaEvents[0]?.ts ?? "");
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.length).toBeLessThanOrEqual(2 + Math.floor(spanMs / 100));
    expect(deltas.length, "fewer deltas than the 32 paced words").toBeLessThan(32);
    let sofar = "";
    for (const d of deltas) {
      sofar += d.delta;
      expect(d.accumulated).toBe(sofar);
    }
    expect(sofar).toBe(`Echo: ${words}`);
  });

  it("runs a tool round trip with llmsim and current_time", async () => {
    const { t, session, reader } = await turnSetup({ capabilities: ["current_time"] });
    await sendMessage(t, session.id, "what time is it?");
    const events = stored(await reader.collectUntil(isEnd));
    await reader.cancel();
    expect(events.map((e) => e.type)).toEqual([
      "message.created",
      "turn.started",
      "message.created",
      "tool.call",
      "tool.result",
      "message.created",
      "message.created",
      "turn.completed",
      "session.completed",
    ]);
    const call = events[3]?.data.tool_call as { id: string; name: string };
    expect(call.name).toBe("get_current_time");
    expect(events[4]?.data).toMatchObject({ tool_call_id: call.id, name: "get_current_time", status: "success", error: null });
    expect(events[7]?.data.iterations).toBe(2);
    const roles = (await listMessages(t, session.id)).map((m) => m.role);
    expect(roles).toEqual(["user", "agent", "tool_result", "agent"]);
  });

  it("runs parallel tool calls of one reply together", async () => {
    const { t, session, reader } = await turnSetup({ capabilities: ["current_time", "test_weather"] });
    await sendMessage(t, session.id, "what time is it and what's the weather in Paris");
    const events = stored(await reader.collectUntil(isEnd));
    await reader.cancel();
    const calls = events.filter((e) => e.type === "tool.call").map((e) => (e.data.tool_call as { name: string }).name);
    expect(calls.sort()).toEqual(["get_current_time", "get_weather"]);
    const firstResult = events.findIndex((e) => e.type === "tool.result");
    const lastCall = events.map((e) => e.type).lastIndexOf("tool.call");
    expect(lastCall).toBeLessThan(firstResult);
    expect(events.filter((e) => e.type === "tool.result").every((e) => e.data.status === "success")).toBe(true);
  });

  for (const type of ["openai", "anthropic"] as const) {
    it(`streams a reply and a split tool call through the ${type} driver`, async () => {
      const { t, session, reader } = await turnSetup({
        capabilities: ["test_math"],
        provider: { type, base: scenarioBase(type, "tool_then_text") },
      });
      await sendMessage(t, session.id, "add please");
      const events = await reader.collectUntil(isEnd);
      await reader.cancel();
      expect(events.some((e) => e.type === "message.delta")).toBe(true);
      const kinds = stored(events).map((e) => e.type);
      expect(kinds).toContain("tool.call");
      expect(kinds).toContain("tool.result");
      expect(kinds.at(-2)).toBe("turn.completed");
      expect(JSON.stringify(events)).not.toContain(FAKE_PROVIDER_KEY);
    });
  }

  it("stops at the iteration limit with max_iterations", async () => {
    const { t, session, reader } = await turnSetup({
      capabilities: ["test_math"],
      provider: { type: "openai", base: scenarioBase("openai", "always_tool") },
    });
    await sendMessage(t, session.id, "loop forever");
    const events = stored(await reader.collectUntil(isEnd, 30_000));
    await reader.cancel();
    const failed = events.find((e) => e.type === "turn.failed");
    expect(failed?.data).toMatchObject({ error_code: "max_iterations", iterations: 25 });
    expect(events.filter((e) => e.type === "tool.call")).toHaveLength(25);
    expect((await getSession(t, session.id)).status).toBe("idle");
  }, 40_000);

  const failures: [string, "openai" | "anthropic", string][] = [
    ["status_401", "openai", "llm_auth_failed"],
    ["status_429", "openai", "llm_rate_limited"],
    ["status_500", "openai", "llm_unavailable"],
    ["break_midway", "openai", "llm_bad_response"],
    ["malformed_chunk", "openai", "llm_bad_response"],
    ["hang", "openai", "llm_timeout"],
    ["status_401", "anthropic", "llm_auth_failed"],
    ["status_429", "anthropic", "llm_rate_limited"],
    ["status_500", "anthropic", "llm_unavailable"],
    ["break_midway", "anthropic", "llm_bad_response"],
    ["malformed_chunk", "anthropic", "llm_bad_response"],
    ["hang", "anthropic", "llm_timeout"],
  ];
  for (const [scenario, type, code] of failures) {
    it(`ends the turn with ${code} when ${type} answers ${scenario}, and the session goes idle`, async () => {
      const { t, session, reader } = await turnSetup({ provider: { type, base: scenarioBase(type, scenario) } });
      const sent = await callAs(t, `/v1/sessions/${session.id}/messages`, {
        method: "POST",
        json: { message: { role: "user", content: [{ type: "text", text: "hi" }] } },
      });
      expect(sent.status).toBe(201);
      await sent.json();
      const events = stored(await reader.collectUntil(isEnd, 15_000));
      await reader.cancel();
      const terminal = events.filter((e) => TERMINAL.has(e.type));
      expect(terminal).toHaveLength(1);
      expect(terminal[0]).toMatchObject({ type: "turn.failed", data: { error_code: code, error: expect.any(String) } });
      expect(JSON.stringify(terminal[0])).not.toContain(FAKE_PROVIDER_KEY);
      expect((await getSession(t, session.id)).status).toBe("idle");
    }, 20_000);
  }

  it("cancels mid-reply with exactly one turn.cancelled and runs queued messages after", async () => {
    const { t, session, reader } = await turnSetup({ provider: { type: "openai", base: scenarioBase("openai", "slow_text") } });
    await sendMessage(t, session.id, "first");
    await reader.collectUntil((e) => e.type === "message.delta");
    const queued = await sendMessage(t, session.id, "second");
    const res = await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "cancelled" });
    const events = stored(await reader.collectUntil(isEnd, 15_000));
    await reader.cancel();
    const terminal = events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type);
    expect(terminal).toEqual(["turn.cancelled", "turn.completed"]);
    const started = events.filter((e) => e.type === "turn.started");
    expect(started.at(-1)?.context.input_message_id).toBe(queued.id);
    expect(events.filter((e) => e.type === "session.completed")).toHaveLength(1);
  }, 20_000);

  it("cancels a turn waiting on a hung model call, and answers no_op when idle", async () => {
    const { t, session, reader } = await turnSetup({ provider: { type: "openai", base: scenarioBase("openai", "hang") } });
    const idle = await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    expect(await idle.json()).toEqual({ status: "no_op" });
    await sendMessage(t, session.id, "hello");
    await untilStarted(reader);
    const res = await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    expect(await res.json()).toEqual({ status: "cancelled" });
    const again = await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    expect(await again.json()).toEqual({ status: "no_op" });
    const events = stored(await reader.collectUntil(isEnd));
    await reader.cancel();
    expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.cancelled"]);
    expect((await getSession(t, session.id)).status).toBe("idle");
  });

  it("yields exactly one terminal event when cancel races completion", async () => {
    for (let i = 0; i < 5; i += 1) {
      const { t, session, reader } = await turnSetup();
      await sendMessage(t, session.id, `race ${i}`);
      const cancel = await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
      const { status } = (await cancel.json()) as { status: string };
      const events = stored(await reader.collectUntil(isEnd));
      await reader.cancel();
      const terminal = events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type);
      expect(terminal).toHaveLength(1);
      expect(terminal[0]).toBe(status === "cancelled" ? "turn.cancelled" : "turn.completed");
    }
  });

  it("ends a turn cut off by a restart of its object with turn.failed interrupted, then runs the queue", async () => {
    const { t, session, reader } = await turnSetup({ provider: { type: "openai", base: scenarioBase("openai", "hang") } });
    await sendMessage(t, session.id, "hello");
    await sendMessage(t, session.id, "queued behind the hung turn");
    await untilStarted(reader);
    await reader.cancel();
    // A hard reset of the object mid-turn: in-memory state and in-flight work are gone, as in a crash or deploy.
    await runInDurableObject(sessionStub(env, session.id), (_instance, state) => state.abort("simulated restart")).catch(() => undefined);
    expect(await runDurableObjectAlarm(sessionStub(env, session.id))).toBe(true);
    const events = await waitForEvents(
      t,
      session.id,
      (list) => list.filter((e) => TERMINAL.has(e.type)).length >= 2 && list.at(-1)?.type === "session.completed",
    );
    const terminal = events.filter((e) => TERMINAL.has(e.type));
    expect(terminal.map((e) => [e.type, e.data.error_code])).toEqual([
      ["turn.failed", "interrupted"],
      ["turn.failed", "llm_timeout"],
    ]);
    expect(events.filter((e) => e.type === "turn.started")).toHaveLength(2);
    expect((await getSession(t, session.id)).status).toBe("idle");
  });

  it("ends a restarted turn once when a request and the watchdog alarm reach the new instance together", async () => {
    const { t, session, reader } = await turnSetup({ provider: { type: "openai", base: scenarioBase("openai", "hang") } });
    await sendMessage(t, session.id, "hello");
    await untilStarted(reader);
    await reader.cancel();
    await runInDurableObject(sessionStub(env, session.id), (_instance, state) => state.abort("simulated restart")).catch(() => undefined);
    // The new instance ends the turn while it starts, before the cancel and the alarm reach it.
    const meta = { sessionId: session.id, orgId: t.orgId };
    const [cancel] = await runInDurableObject(sessionStub(env, session.id), (instance) => {
      const object = instance as SessionObject;
      return Promise.all([object.cancel(meta, {}), object.alarm()]);
    });
    expect(cancel).toEqual({ status: "no_op" });
    const events = await waitForEvents(t, session.id, (list) => list.at(-1)?.type === "session.completed");
    await sleep(200); // room for a second, wrong, terminal event
    const after = await listEvents(t, session.id);
    expect(after.filter((e) => TERMINAL.has(e.type)).map((e) => [e.type, e.data.error_code])).toEqual([["turn.failed", "interrupted"]]);
    expect(after.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect((await getSession(t, session.id)).status).toBe("idle");
  });

  it("never ends a turn twice when the object is evicted as the turn ends", async () => {
    const { t, session, reader } = await turnSetup({ provider: { type: "openai", base: scenarioBase("openai", "hang") } });
    await sendMessage(t, session.id, "hello");
    await untilStarted(reader);
    // Eviction waits for in-flight requests to drain, and an open stream is one: close it first.
    await reader.cancel();
    const stub = sessionStub(env, session.id);
    await evictDurableObject(stub);
    await runDurableObjectAlarm(stub);
    const events = await waitForEvents(t, session.id, (list) => list.at(-1)?.type === "session.completed");
    expect(events.filter((e) => TERMINAL.has(e.type))).toHaveLength(1);
    expect((await getSession(t, session.id)).status).toBe("idle");
    await sendMessage(t, session.id, "still works after the eviction");
  });

  it("gives a client that reconnects mid-reply one delta with the reply so far, then live deltas", async () => {
    const { t, session, reader } = await turnSetup({ provider: { type: "openai", base: scenarioBase("openai", "slow_text") } });
    await sendMessage(t, session.id, "tell me slowly");
    const before = await reader.collectUntil((e) => e.type === "message.delta" && String(e.data.accumulated).length > 0);
    await reader.cancel();
    const lastStored = stored(before).at(-1);
    if (!lastStored) throw new Error("no stored event before the reply");
    const resumed = new SseReader(await openStream(t, session.id, "", { "last-event-id": lastStored.id }));
    const after = await resumed.collectUntil(isEnd, 15_000);
    await resumed.cancel();
    const deltas = after.filter((e) => e.type === "message.delta");
    const first = deltas[0];
    if (!first) throw new Error("no delta after reconnecting");
    expect(first.data.delta).toBe(first.data.accumulated);
    expect(String(first.data.accumulated).length).toBeGreaterThan(0);
    let text = String(first.data.accumulated);
    for (const d of deltas.slice(1)) {
      text += String(d.data.delta);
      expect(d.data.accumulated).toBe(text);
    }
    const reply = stored(after).find((e) => e.type === "message.created");
    expect((reply?.data.message as { content: { text: string }[] } | undefined)?.content[0]?.text).toBe(text);
    const all = await listEvents(t, session.id);
    expect(stored(after).map((e) => e.id)).toEqual(all.filter((e) => e.sequence > lastStored.sequence).map((e) => e.id));
  }, 20_000);

  it("never returns or streams the provider key", async () => {
    const { t, session, reader, modelId } = await turnSetup({ provider: { type: "openai", base: scenarioBase("openai", "text") } });
    await sendMessage(t, session.id, "hi");
    const events = await reader.collectUntil(isEnd);
    await reader.cancel();
    const bodies = [JSON.stringify(events)];
    for (const path of ["/v1/llm-providers", "/v1/llm-models", `/v1/llm-models/${modelId}`, `/v1/sessions/${session.id}/messages`]) {
      bodies.push(await (await callAs(t, path)).text());
    }
    for (const body of bodies) expect(body).not.toContain(FAKE_PROVIDER_KEY);
  });
});
