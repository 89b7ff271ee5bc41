import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { sessionStub } from "../src/services/session-client";
import { openSessionDb } from "../src/session/db/client";
import { EventLog } from "../src/session/event-log";
import { type NewMessage, storeMessages } from "../src/session/message-store";
import { promptBudget } from "../src/session/prompt";
import { isEnd } from "./support/events";
import { FAKE_PROVIDER_KEY, lastRequest, scenarioBase } from "./support/models";
import { callAs } from "./support/requests";
import { createAgent, createLlmModel, createLlmProvider, createSession, listMessages, sendMessage } from "./support/resources";
import { openStream, SseReader } from "./support/sse-reader";
import { newTenant } from "./support/tenants";

const HISTORY = 2_000;
const WINDOW = 6_000;

const SENTENCE = "The quarterly figures for the northern region were reviewed line by line, and the team agreed on the next steps.";

/** The seeded history: turns of a question and an answer, every other one with a tool call and its result in between (2,000 messages). */
function seedTurns(): NewMessage[][] {
  const turns: NewMessage[][] = [];
  let count = 0;
  for (let i = 0; count < HISTORY; i += 1) {
    const user: NewMessage = { id: `message_seed_${i}`, role: "user", content: [{ type: "text", text: `Question ${i}: ${SENTENCE}` }] };
    const meta = { input_message_id: user.id ?? null, turn_id: `turn_seed_${i}` };
    const turn: NewMessage[] = [user];
    if (i % 2 === 0 && count + 4 <= HISTORY) {
      turn.push({
        role: "agent",
        content: [{ type: "tool_call", id: `call_seed_${i}`, name: "add", arguments: { a: i, b: 1 } }],
        metadata: meta,
      });
      turn.push({
        role: "tool_result",
        content: [{ type: "tool_result", tool_call_id: `call_seed_${i}`, result: { result: i + 1 }, error: null }],
        metadata: meta,
      });
    }
    turn.push({ role: "agent", content: [{ type: "text", text: `Answer ${i}: ${SENTENCE}` }], metadata: meta });
    turns.push(turn);
    count += turn.length;
  }
  return turns;
}

/** What the session object's SQL handed to JavaScript from the messages table: rows and bytes (as JSON). */
interface Materialized {
  rows: number;
  bytes: number;
  queries: number;
}

/**
 * Counts what every query on `messages` materializes, by wrapping the cursors the object's SQL
 * returns (`toArray`, `next`, `raw().toArray()`, the ways Drizzle reads them).
 */
function countMessageReads(sql: SqlStorage, into: Materialized) {
  const exec = sql.exec.bind(sql);
  const tally = (rows: unknown[]) => {
    into.rows += rows.length;
    into.bytes += rows.reduce<number>((sum, row) => sum + JSON.stringify(row).length, 0);
    return rows;
  };
  return vi.spyOn(sql, "exec").mockImplementation((query: string, ...params: unknown[]) => {
    const cursor = exec(query, ...params);
    if (!/^select/i.test(query) || !/from "messages"/.test(query)) return cursor;
    into.queries += 1;
    return new Proxy(cursor, {
      get(target, prop) {
        if (prop === "toArray") return () => tally(target.toArray());
        if (prop === "raw") return () => ({ toArray: () => tally(Array.from(target.raw())) });
        if (prop === "next") {
          return () => {
            const step = target.next();
            if (!step.done) tally([step.value]);
            return step;
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  });
}

describe("a session of 2,000 messages on a model with a small window", () => {
  it("runs its next turn: the prompt fits, tool calls keep their results, context.compacted says what was left out, and the read is bounded", async () => {
    const t = await newTenant();
    const base = scenarioBase("openai", `window_${WINDOW}`);
    const provider = await createLlmProvider(t, {
      name: "small window",
      provider_type: "openai",
      base_url: base,
      api_key: FAKE_PROVIDER_KEY,
    });
    const model = await createLlmModel(t, provider.id, { context_window: WINDOW });
    expect(model.context_window).toBe(WINDOW);
    const agent = await createAgent(t, { default_model_id: model.id, system_prompt: "You are a careful analyst." });
    const session = await createSession(t, agent.id);

    const stub = sessionStub(env, session.id);
    let historyBytes = 0;
    await runInDurableObject(stub, (_instance, state) => {
      const db = openSessionDb(state.storage);
      const log = new EventLog(db, state.storage, session.id, () => undefined);
      for (const turn of seedTurns()) {
        const context = { turn_id: `turn_${turn[0]?.id}`, input_message_id: turn[0]?.id ?? null };
        for (const m of storeMessages(db, log, session.id, context, turn)) historyBytes += JSON.stringify(m).length;
      }
    });
    await evictDurableObject(stub);

    const reads: Materialized = { rows: 0, bytes: 0, queries: 0 };
    const spy = await runInDurableObject(stub, (_instance, state) => countMessageReads(state.storage.sql, reads));
    const reader = new SseReader(await openStream(t, session.id));
    const input = await sendMessage(t, session.id, "What did we agree on last time?");
    const replayedAndLive = await reader.collectUntil(isEnd, 20_000);
    await reader.cancel();
    spy.mockRestore();
    // The stream replays the seeded history first; the turn's events follow.
    const events = replayedAndLive.slice(replayedAndLive.findIndex((e) => e.type === "turn.started"));

    expect(events.map((e) => e.type)).toContain("turn.completed");
    expect(events.map((e) => e.type)).not.toContain("turn.failed");

    // The provider took the prompt: its own count (a real tokenizer) is under the window.
    const reply = events.find((e) => e.type === "message.created" && (e.data.message as { role: string }).role === "agent");
    const text = (reply?.data.message as { content: Array<{ text: string }> } | undefined)?.content[0]?.text ?? "";
    const counted = Number(/^Fits: (\d+) tokens\.$/.exec(text)?.[1]);
    expect(counted).toBeLessThanOrEqual(WINDOW);
    expect(counted).toBeGreaterThan(WINDOW / 4);

    // What it got: the system prompt, then whole turns ending with the new input; every tool call answered right after it.
    const { body } = await lastRequest(base);
    const sent = body.messages as Array<{
      role: string;
      content: string | null;
      tool_calls?: Array<{ id: string }>;
      tool_call_id?: string;
    }>;
    expect(sent[0]?.role).toBe("system");
    expect(sent[1]?.role).toBe("user");
    expect(sent.at(-1)).toMatchObject({ role: "user", content: "What did we agree on last time?" });
    let toolCalls = 0;
    sent.forEach((m, i) => {
      if (m.role === "tool")
        expect(
          sent
            .slice(0, i)
            .findLast((p) => p.role !== "tool")
            ?.tool_calls?.map((c) => c.id),
        ).toContain(m.tool_call_id);
      for (const [k, call] of (m.tool_calls ?? []).entries()) {
        toolCalls += 1;
        expect(sent[i + 1 + k]).toMatchObject({ role: "tool", tool_call_id: call.id });
      }
    });
    expect(toolCalls).toBeGreaterThan(5);

    // context.compacted, before the model call, says what was left out of a history of 2,001 messages.
    const compacted = events.filter((e) => e.type === "context.compacted");
    expect(compacted).toHaveLength(1);
    const data = compacted[0]?.data as {
      dropped_messages: number;
      kept_messages: number;
      estimated_tokens: number;
      context_window: number;
    };
    expect(data.context_window).toBe(WINDOW);
    expect(data.kept_messages).toBe(sent.length - 1);
    expect(data.dropped_messages + data.kept_messages).toBe(HISTORY + 1);
    expect(data.estimated_tokens).toBeLessThanOrEqual(promptBudget(WINDOW));
    expect(data.estimated_tokens).toBeGreaterThanOrEqual(counted);
    expect(compacted[0]?.context).toMatchObject({ input_message_id: input.id });
    expect(events.findIndex((e) => e.type === "context.compacted")).toBeLessThan(events.findIndex((e) => e.type === "message.delta"));

    // The stored history is not changed.
    const listed = await callAs(t, `/v1/sessions/${session.id}/messages?limit=1`);
    expect(((await listed.json()) as { total: number }).total).toBe(HISTORY + 2);

    // The object materialized a bounded part of the history: the rows the prompt needed, in pages, never all 2,000.
    expect(reads.queries).toBeGreaterThan(0);
    expect(reads.rows).toBeLessThan(HISTORY / 4);
    expect(reads.bytes).toBeLessThan(historyBytes / 4);
  });

  it("sends the whole history when it fits, and emits no context.compacted", async () => {
    const t = await newTenant();
    const base = scenarioBase("openai", "window_100000");
    const provider = await createLlmProvider(t, {
      name: "big window",
      provider_type: "openai",
      base_url: base,
      api_key: FAKE_PROVIDER_KEY,
    });
    const model = await createLlmModel(t, provider.id, { context_window: 100_000 });
    const agent = await createAgent(t, { default_model_id: model.id });
    const session = await createSession(t, agent.id);
    const reader = new SseReader(await openStream(t, session.id));
    await sendMessage(t, session.id, "first");
    await reader.collectUntil(isEnd);
    await sendMessage(t, session.id, "second");
    const events = await reader.collectUntil(isEnd);
    await reader.cancel();
    expect(events.map((e) => e.type)).not.toContain("context.compacted");
    const { body } = await lastRequest(base);
    expect((body.messages as Array<{ role: string }>).map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(await listMessages(t, session.id)).toHaveLength(4);
  });
});
