import { describe, expect, it, vi } from "vitest";
import type { EventEnvelope } from "../src/session/rpc";
import { gate } from "./support/async";
import { capturedLogsWithoutKey, jsonLines } from "./support/console";
import { isEnd, stored, TERMINAL } from "./support/events";
import { lastRequest, type ProviderType, scenarioBase } from "./support/models";
import { type Caller, callAs } from "./support/requests";
import { getSession, listMessages, sendMessage } from "./support/resources";
import { turnSetup } from "./support/sessions";
import { builtinTool, standIn } from "./support/tools";

type StoredMessage = { id: string; role: string; content: Array<{ type: string; text?: string }> };
const messageOf = (e: EventEnvelope) => e.data.message as StoredMessage;
const agentReplies = (events: EventEnvelope[]) => events.filter((e) => e.type === "message.created" && messageOf(e).role === "agent");
const deltasOf = (events: EventEnvelope[]) =>
  events.filter((e) => e.type === "message.delta").map((e) => e.data as { delta: string; accumulated: string });
type WireMessage = { role: string; content?: unknown; tool_calls?: Array<{ id: string }>; tool_call_id?: string };

/** OpenAI's rule: an assistant message's tool calls are answered, in a block, right after it. */
function expectValidOpenAiOrder(messages: WireMessage[]) {
  let pending = new Set<string>();
  for (const message of messages) {
    if (message.role === "tool") {
      expect(pending.has(message.tool_call_id ?? ""), JSON.stringify(messages)).toBe(true);
      pending.delete(message.tool_call_id ?? "");
      continue;
    }
    expect([...pending], JSON.stringify(messages)).toEqual([]);
    pending = new Set((message.tool_calls ?? []).map((c) => c.id));
  }
}

async function cancel(t: Caller, sessionId: string) {
  const res = await callAs(t, `/v1/sessions/${sessionId}/cancel`, { method: "POST" });
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string };
}

describe("turn flows", () => {
  const logs = capturedLogsWithoutKey();

  describe("queued messages", () => {
    it("runs a message posted during a tool call after that turn, with a valid history that ends with it", async () => {
      const base = scenarioBase("openai", "tool_then_text");
      const { t, session, reader } = await turnSetup({ capabilities: ["test_math"], provider: { type: "openai", base } });
      const add = builtinTool("add");
      const real = add.execute.bind(add);
      const held = gate();
      standIn(add, async (args, context) => {
        await held.opened;
        return real(args, context);
      });
      const first = await sendMessage(t, session.id, "add 2 and 3 please");
      await reader.collectUntil((e) => e.type === "tool.call");
      const second = await sendMessage(t, session.id, "and now something else");
      held.open();
      const events = stored(await reader.collectUntil(isEnd, 15_000));
      await reader.cancel();

      expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed", "turn.completed"]);
      expect(events.filter((e) => e.type === "turn.started").map((e) => e.context.input_message_id)).toEqual([second.id]);
      expect(events.filter((e) => e.type === "session.completed")).toHaveLength(1);
      // The second message's sequence lies inside the first turn, between the tool call and its result.
      const rows = await listMessages(t, session.id);
      expect(rows.map((m) => m.role)).toEqual(["user", "agent", "user", "tool_result", "agent", "agent"]);
      expect(rows.filter((m) => m.role !== "user").map((m) => m.metadata?.input_message_id)).toEqual([
        first.id,
        first.id,
        first.id,
        second.id,
      ]);

      const { body } = await lastRequest(base);
      const messages = body.messages as WireMessage[];
      expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "assistant", "user"]);
      expect(messages.at(-1)).toEqual({ role: "user", content: "and now something else" });
      expectValidOpenAiOrder(messages);
      expect((await getSession(t, session.id)).status).toBe("idle");
    });

    it("runs several queued messages one turn each, in the order they were sent", async () => {
      const base = scenarioBase("openai", "slow_text");
      const { t, session, reader } = await turnSetup({ provider: { type: "openai", base } });
      const texts = ["first question", "second question", "third question"];
      const sent = [];
      for (const text of texts) sent.push(await sendMessage(t, session.id, text));
      const events = stored(await reader.collectUntil(isEnd, 15_000));
      await reader.cancel();

      const ids = sent.map((m) => m.id);
      expect(events.filter((e) => e.type === "turn.started").map((e) => e.context.input_message_id)).toEqual(ids);
      expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => [e.type, e.context.input_message_id])).toEqual(
        ids.map((id) => ["turn.completed", id]),
      );
      expect(agentReplies(events).map((e) => e.context.input_message_id)).toEqual(ids);
      expect(events.filter((e) => e.type === "session.completed")).toHaveLength(1);
      // The users' messages were stored first, so their sequences come before every reply.
      const rows = await listMessages(t, session.id);
      expect(rows.map((m) => m.role)).toEqual(["user", "user", "user", "agent", "agent", "agent"]);
      expect(rows.filter((m) => m.role === "user").map((m) => m.content)).toEqual(texts.map((text) => [{ type: "text", text }]));

      // The third turn's request: each question followed by its own reply, the third question last.
      const { body, count } = await lastRequest(base);
      expect(count).toBe(3);
      const conversation = (body.messages as WireMessage[]).map((m) => [m.role, m.role === "assistant" ? "reply" : m.content]);
      expect(conversation).toEqual([
        ["system", "You are a test agent."],
        ["user", "first question"],
        ["assistant", "reply"],
        ["user", "second question"],
        ["assistant", "reply"],
        ["user", "third question"],
      ]);
    }, 20_000);
  });

  describe("provider failures end the turn and leave the session idle", () => {
    const cases: Array<[ProviderType, string, string, number | undefined]> = [];
    for (const type of ["openai", "anthropic"] as const) {
      cases.push(
        [type, "stream_error", "llm_unavailable", undefined],
        [type, "truncated", "llm_bad_response", undefined],
        [type, "bad_tool_arguments", "llm_bad_response", undefined],
        [type, "hang_after_first_chunk", "llm_timeout", undefined],
        [type, "status_403", "llm_auth_failed", 403],
        [type, "status_529", "llm_unavailable", 529],
        [type, "refused", "llm_unavailable", undefined],
      );
    }
    for (const [type, scenario, code, status] of cases) {
      it(`${type} ${scenario} → turn.failed ${code}`, async () => {
        // Port 9 on loopback has no listener: the connection is refused.
        const base = scenario === "refused" ? "http://127.0.0.1:9/v1" : scenarioBase(type, scenario);
        const { t, session, reader } = await turnSetup({ capabilities: ["test_math"], provider: { type, base } });
        await sendMessage(t, session.id, "hello");
        const events = stored(await reader.collectUntil(isEnd, 15_000));
        await reader.cancel();

        const terminal = events.filter((e) => TERMINAL.has(e.type));
        expect(terminal).toHaveLength(1);
        expect(terminal[0]).toMatchObject({ type: "turn.failed", data: { error_code: code, error: expect.any(String) } });
        expect(events.at(-1)).toMatchObject({ type: "session.completed", data: { status: "idle" } });
        expect(events.some((e) => e.type === "tool.call")).toBe(false);
        expect(agentReplies(events)).toEqual([]);
        expect((await getSession(t, session.id)).status).toBe("idle");
        const logged = jsonLines(logs.lines()).filter((l) => l.msg === "turn failed");
        expect(logged).toEqual([expect.objectContaining({ level: "warn", session_id: session.id, code, ...(status ? { status } : {}) })]);
      }, 20_000);
    }
  });

  describe("tools", () => {
    it("fails the turn with tool_failed when a tool throws unexpectedly, after reporting its error result", async () => {
      const { t, session, reader } = await turnSetup({ capabilities: ["test_math"] });
      standIn(builtinTool("add"), async () => {
        throw new TypeError("Cannot read properties of undefined");
      });
      await sendMessage(t, session.id, "what is 2 + 3");
      const events = stored(await reader.collectUntil(isEnd));
      await reader.cancel();

      expect(events.find((e) => e.type === "tool.result")?.data).toMatchObject({
        name: "add",
        status: "error",
        error: "The tool failed unexpectedly",
      });
      expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => [e.type, e.data.error_code])).toEqual([["turn.failed", "tool_failed"]]);
      expect(events.at(-1)).toMatchObject({ type: "session.completed", data: { status: "idle" } });
      expect((await getSession(t, session.id)).status).toBe("idle");
      expect(jsonLines(logs.lines()).find((l) => l.msg === "tool failed")).toMatchObject({
        session_id: session.id,
        tool: "add",
        error: { name: "TypeError" },
      });
    });

    it("answers a tool that outlives its timeout with an error result and goes on", async () => {
      const { t, session, reader } = await turnSetup({ capabilities: ["test_math"] });
      const add = builtinTool("add");
      const timeoutMs = add.timeoutMs;
      // The limit lives on the tool definition; shortened here so the test is quick.
      add.timeoutMs = 50;
      try {
        standIn(add, () => new Promise(() => undefined));
        await sendMessage(t, session.id, "what is 2 + 3");
        const events = stored(await reader.collectUntil(isEnd));
        await reader.cancel();

        expect(events.find((e) => e.type === "tool.result")?.data).toMatchObject({
          name: "add",
          status: "error",
          error: "Tool timed out after 50 ms",
        });
        expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed"]);
        const reply = messageOf(agentReplies(events).at(-1) as EventEnvelope);
        expect(reply.content[0]?.text).toBe("add failed: Tool timed out after 50 ms");
      } finally {
        add.timeoutMs = timeoutMs;
      }
    });

    it("cancels during a tool call with exactly one turn.cancelled and no tool result, and the next turn still works", async () => {
      const base = scenarioBase("openai", "tool_then_text");
      const { t, session, reader } = await turnSetup({ capabilities: ["test_math"], provider: { type: "openai", base } });
      const started = gate();
      // Ignores its signal on purpose: the runner must stop waiting for it anyway.
      standIn(builtinTool("add"), () => {
        started.open();
        return new Promise(() => undefined);
      });
      await sendMessage(t, session.id, "add 2 and 3");
      await reader.collectUntil((e) => e.type === "tool.call");
      await started.opened;
      expect(await cancel(t, session.id)).toEqual({ status: "cancelled" });
      const events = stored(await reader.collectUntil(isEnd));

      expect(events.map((e) => e.type)).toEqual(["turn.cancelled", "session.completed"]);
      expect((await getSession(t, session.id)).status).toBe("idle");
      expect((await listMessages(t, session.id)).map((m) => m.role)).toEqual(["user", "agent"]);

      // The call that never got a result is answered for the provider, right after it.
      vi.restoreAllMocks();
      await sendMessage(t, session.id, "what happened?");
      const next = stored(await reader.collectUntil(isEnd));
      await reader.cancel();
      expect(next.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed"]);
      const messages = (await lastRequest(base)).body.messages as WireMessage[];
      expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "user"]);
      expect(String(messages[3]?.content)).toContain("No result");
      expectValidOpenAiOrder(messages);
    });
  });

  describe("llmsim", () => {
    it("streams a reply over several deltas, each carrying the reply so far", async () => {
      const { t, session, reader } = await turnSetup();
      const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
      await sendMessage(t, session.id, words);
      const events = await reader.collectUntil(isEnd);
      await reader.cancel();
      const deltas = deltasOf(events);
      // 40 words 15 ms apart span about 0.6 s: several 100 ms delta batches.
      expect(deltas.length).toBeGreaterThanOrEqual(3);
      let sofar = "";
      for (const d of deltas) {
        sofar += d.delta;
        expect(d.accumulated).toBe(sofar);
      }
      expect(messageOf(agentReplies(events)[0] as EventEnvelope).content).toEqual([{ type: "text", text: `Echo: ${words}` }]);
    });

    it("can be cancelled mid-reply: one turn.cancelled, the reply cut short and not stored", async () => {
      const { t, session, reader } = await turnSetup();
      const words = Array.from({ length: 100 }, (_, i) => `w${i}`).join(" ");
      await sendMessage(t, session.id, words);
      await reader.collectUntil((e) => e.type === "message.delta");
      expect(await cancel(t, session.id)).toEqual({ status: "cancelled" });
      const events = await reader.collectUntil(isEnd);
      await reader.cancel();
      expect(stored(events).map((e) => e.type)).toEqual(["turn.cancelled", "session.completed"]);
      const last = deltasOf(events).at(-1)?.accumulated ?? "";
      expect(last.length).toBeLessThan(`Echo: ${words}`.length);
      expect((await listMessages(t, session.id)).map((m) => m.role)).toEqual(["user"]);
    });
  });

  it("completes a turn when an OpenAI-compatible server reports only prompt tokens", async () => {
    const { t, session, reader } = await turnSetup({ provider: { type: "openai", base: scenarioBase("openai", "partial_usage") } });
    await sendMessage(t, session.id, "hi");
    const events = stored(await reader.collectUntil(isEnd));
    await reader.cancel();
    expect(events.find((e) => e.type === "turn.completed")?.data).toMatchObject({ usage: { input_tokens: 11, output_tokens: 0 } });
  });
});
