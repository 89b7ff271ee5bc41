import { describe, expect, it } from "vitest";
import type { LlmMessage } from "../../src/llm/types";
import type { ContentPart } from "../../src/schemas/messages";
import { dropOldestTurns } from "../../src/session/compaction";
import { toConversation, toTurns, wholeTurns } from "../../src/session/conversation";
import type { MessageRow } from "../../src/session/message-store";

/** Builds message rows in sequence order; agent and tool rows name their turn's input unless `legacy`. */
function history() {
  const rows: MessageRow[] = [];
  const add = (role: MessageRow["role"], id: string, content: ContentPart[], metadata: Record<string, unknown> | null) => {
    rows.push({ id, sequence: rows.length + 1, role, content, controls: null, metadata, createdAt: "2026-01-01T00:00:00Z" });
  };
  const turn = (input: string | null) => (input === null ? {} : { input_message_id: input, turn_id: `turn_${input}` });
  const api = {
    rows,
    user(id: string, text = id) {
      add("user", id, [{ type: "text", text }], null);
      return api;
    },
    agent(input: string | null, text: string, calls: string[] = []) {
      const parts: ContentPart[] = text ? [{ type: "text", text }] : [];
      for (const id of calls) parts.push({ type: "tool_call", id, name: "add", arguments: { a: 1, b: 2 } });
      add("agent", `a${rows.length + 1}`, parts, { model: "m", ...turn(input) });
      return api;
    },
    results(input: string | null, ...calls: string[]) {
      for (const id of calls)
        add("tool_result", `r${rows.length + 1}`, [{ type: "tool_result", tool_call_id: id, result: { result: 3 }, error: null }], {
          tool_name: "add",
          ...turn(input),
        });
      return api;
    },
  };
  return api;
}

const user = (text: string): LlmMessage => ({ role: "user", text });
const said = (text: string): LlmMessage => ({ role: "assistant", text, toolCalls: [] });
const calls = (...ids: string[]): LlmMessage => ({
  role: "assistant",
  text: "",
  toolCalls: ids.map((id) => ({ id, name: "add", arguments: { a: 1, b: 2 } })),
});
const result = (id: string): LlmMessage => ({ role: "tool", toolCallId: id, name: "add", content: '{"result":3}', isError: false });
const unanswered = (id: string): LlmMessage => ({
  role: "tool",
  toolCallId: id,
  name: "add",
  content: expect.stringContaining("No result") as string,
  isError: true,
});

/** The invariant providers enforce: tool messages answer, in a block, the calls of the assistant message just before them. */
function expectValidOrder(conversation: LlmMessage[]) {
  let pending = new Set<string>();
  for (const message of conversation) {
    if (message.role === "tool") {
      expect(pending.has(message.toolCallId), `unexpected result ${message.toolCallId}`).toBe(true);
      pending.delete(message.toolCallId);
      continue;
    }
    expect([...pending], "calls left unanswered before the next message").toEqual([]);
    pending = new Set(message.role === "assistant" ? message.toolCalls.map((c) => c.id) : []);
  }
  expect([...pending]).toEqual([]);
}

const none = new Set<string>();

describe("toConversation", () => {
  it("keeps a plain history in sequence order", () => {
    const h = history().user("u1").agent("u1", "", ["c1"]).results("u1", "c1").agent("u1", "three").user("u2");
    const conversation = toConversation(h.rows, none);
    expect(conversation).toEqual([user("u1"), calls("c1"), result("c1"), said("three"), user("u2")]);
  });

  it("places a message posted between a tool call and its result after the turn it interrupted", () => {
    // u2 was posted while u1's turn ran its tool: its sequence lies inside that turn.
    const h = history().user("u1").agent("u1", "", ["c1"]).user("u2").results("u1", "c1").agent("u1", "three");
    const conversation = toConversation(h.rows, none);
    expect(conversation).toEqual([user("u1"), calls("c1"), result("c1"), said("three"), user("u2")]);
    expectValidOrder(conversation);
  });

  it("leaves the message out while it is still queued, then makes it the last message of its own turn", () => {
    const h = history().user("u1").agent("u1", "", ["c1"]).user("u2").results("u1", "c1");
    // Turn 1's second model call: u2 is still queued.
    expect(toConversation(h.rows, new Set(["u2"]))).toEqual([user("u1"), calls("c1"), result("c1")]);
    h.agent("u1", "three");
    // Turn 2's first model call: u2 is its input and comes last.
    const second = toConversation(h.rows, none);
    expect(second.at(-1)).toEqual(user("u2"));
    h.agent("u2", "reply two");
    expect(toConversation(h.rows, none)).toEqual([user("u1"), calls("c1"), result("c1"), said("three"), user("u2"), said("reply two")]);
  });

  it("places messages posted while the model was streaming (before any output was stored) after that turn", () => {
    const h = history()
      .user("u1")
      .user("u2")
      .user("u3")
      .agent("u1", "", ["c1"])
      .results("u1", "c1")
      .agent("u1", "done one")
      .agent("u2", "done two");
    const conversation = toConversation(h.rows, new Set(["u3"]));
    expect(conversation).toEqual([user("u1"), calls("c1"), result("c1"), said("done one"), user("u2"), said("done two")]);
  });

  it("keeps two messages queued during one tool chain in FIFO order, each after the turn before it", () => {
    const h = history()
      .user("u1")
      .agent("u1", "", ["c1"])
      .user("u2")
      .user("u3")
      .results("u1", "c1")
      .agent("u1", "", ["c2"])
      .results("u1", "c2")
      .agent("u1", "one")
      .agent("u2", "", ["c3"])
      .results("u2", "c3")
      .agent("u2", "two");
    const conversation = toConversation(h.rows, none);
    expect(conversation).toEqual([
      user("u1"),
      calls("c1"),
      result("c1"),
      calls("c2"),
      result("c2"),
      said("one"),
      user("u2"),
      calls("c3"),
      result("c3"),
      said("two"),
      user("u3"),
    ]);
    expectValidOrder(conversation);
  });

  it("answers the calls of a cancelled turn before the next user message, and drops results that answer no open call", () => {
    const h = history().user("u1").agent("u1", "", ["c1", "c2"]).user("u2").results("u1", "c2").agent("u2", "two").results("u2", "c9");
    const conversation = toConversation(h.rows, none);
    expect(conversation).toEqual([user("u1"), calls("c1", "c2"), result("c2"), unanswered("c1"), user("u2"), said("two")]);
    expectValidOrder(conversation);
  });

  it("puts the next message after a turn that failed after its tool results", () => {
    const h = history().user("u1").agent("u1", "", ["c1"]).user("u2").results("u1", "c1").agent("u2", "two");
    const conversation = toConversation(h.rows, none);
    expect(conversation).toEqual([user("u1"), calls("c1"), result("c1"), user("u2"), said("two")]);
  });

  describe("rows stored before messages named their turn", () => {
    it("places a message posted mid tool chain after the chain's final reply", () => {
      const h = history().user("u1").agent(null, "", ["c1"]).user("u2").results(null, "c1").agent(null, "three").agent(null, "two");
      const conversation = toConversation(h.rows, none);
      expect(conversation.slice(0, 5)).toEqual([user("u1"), calls("c1"), result("c1"), said("three"), user("u2")]);
      expectValidOrder(conversation);
    });

    it("starts a new turn after calls that were never answered", () => {
      const h = history().user("u1").agent(null, "", ["c1"]).user("u2").agent(null, "two");
      expect(toConversation(h.rows, none)).toEqual([user("u1"), calls("c1"), unanswered("c1"), user("u2"), said("two")]);
    });

    it("keeps consecutive user messages in order when no output lies between them", () => {
      const h = history().user("u1").user("u2").agent(null, "two");
      expect(toConversation(h.rows, none)).toEqual([user("u1"), user("u2"), said("two")]);
    });
  });

  it("always yields a valid order for every interleaving of a second message into a tool turn", () => {
    const base = () => [
      (h: ReturnType<typeof history>) => h.agent("u1", "", ["c1"]),
      (h: ReturnType<typeof history>) => h.results("u1", "c1"),
      (h: ReturnType<typeof history>) => h.agent("u1", "", ["c2"]),
      (h: ReturnType<typeof history>) => h.results("u1", "c2"),
      (h: ReturnType<typeof history>) => h.agent("u1", "one"),
    ];
    for (let at = 0; at <= 5; at += 1) {
      const h = history().user("u1");
      base().forEach((step, i) => {
        if (i === at) h.user("u2");
        step(h);
      });
      if (at === 5) h.user("u2");
      const conversation = toConversation(h.rows, none);
      expectValidOrder(conversation);
      expect(conversation.at(-1), `u2 posted after step ${at}`).toEqual(user("u2"));
      expect(conversation.filter((m) => m.role === "user")).toEqual([user("u1"), user("u2")]);
    }
  });
});

describe("whole turns for a prompt that leaves older ones out", () => {
  it("drops what comes before the first input read, and rows of a turn whose input was not read", () => {
    // u1's turn, with u2 posted in the middle of it (stored between u1's call and its result), then u2's turn.
    const { rows } = history().user("u1").agent("u1", "", ["c1"]).user("u2").results("u1", "c1").agent("u1", "done").agent("u2", "second");
    // A read that reached back only to u2 (the newest four rows).
    const suffix = rows.slice(2);
    expect(wholeTurns(suffix).map((r) => r.id)).toEqual(["u2", rows[5]?.id]);
    expect(toTurns(wholeTurns(suffix), new Set()).map((t) => t.messages)).toEqual([[user("u2"), said("second")]]);
    // A read that starts inside a turn (a tool result first) starts at the next input.
    expect(wholeTurns(rows.slice(3))).toEqual([]);
  });

  it("counts each turn's stored rows, leaving out a queued input", () => {
    const { rows } = history().user("u1").agent("u1", "", ["c1"]).results("u1", "c1").agent("u1", "done").user("u2");
    expect(toTurns(rows, new Set(["u2"])).map((t) => [t.inputId, t.rows, t.messages.length])).toEqual([
      ["u1", 4, 4],
      ["u2", 0, 0],
    ]);
  });
});

describe("dropOldestTurns", () => {
  const turn = (inputId: string, tokens: number) => ({ inputId, messages: [user(inputId)], rows: 1, tokens });
  const turns = [turn("a", 40), turn("b", 30), turn("c", 20), turn("d", 10)];

  it("keeps the required turns and as many earlier ones, newest first, as fit", () => {
    expect(dropOldestTurns.fit(turns, 60, 3).map((t) => t.inputId)).toEqual(["b", "c", "d"]);
    expect(dropOldestTurns.fit(turns, 100, 3).map((t) => t.inputId)).toEqual(["a", "b", "c", "d"]);
    expect(dropOldestTurns.fit(turns, 35, 3).map((t) => t.inputId)).toEqual(["c", "d"]);
  });

  it("never drops a required turn, even one over the budget, and stops at the first earlier turn that does not fit", () => {
    expect(dropOldestTurns.fit(turns, 5, 2).map((t) => t.inputId)).toEqual(["c", "d"]);
    expect(dropOldestTurns.fit([turn("a", 1), turn("b", 100), turn("c", 1)], 10, 2).map((t) => t.inputId)).toEqual(["c"]);
  });
});
