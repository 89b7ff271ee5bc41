import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { UIMessage, UIMessageChunk } from "ai";
import { describe, expect, it } from "vitest";
import { sessionStub } from "../src/services/session-client";
import { chatTransport, deltaText, readChunks, rebuild, textOf, userMessage } from "./support/ai-sdk";
import { settledEvents } from "./support/events";
import { eventsWhen } from "./support/mcp";
import { scenarioBase } from "./support/models";
import { expectProblem } from "./support/problems";
import { callAs } from "./support/requests";
import { createAgent, createSession, listMessages, sendMessage } from "./support/resources";
import { sessionSetup } from "./support/sessions";
import { newTenant } from "./support/tenants";

/** The agent's final reply as stored, and the session's turn count. */
async function storedReply(t: Parameters<typeof listMessages>[0], sessionId: string, turns: number) {
  const events = await settledEvents(t, sessionId, turns);
  const replies = events.filter((e) => e.type === "message.created" && (e.data["message"] as { role: string }).role === "agent");
  const message = replies.at(-1)?.data["message"] as { id: string; content: { type: string; text?: string }[] };
  return { events, text: message.content.flatMap((p) => (p.type === "text" ? [p.text ?? ""] : [])).join("") };
}

function send(t: Parameters<typeof chatTransport>[0], chatId: string, messages: UIMessage[], messageId?: string) {
  return chatTransport(t).sendMessages({ chatId, messages, trigger: "submit-message", messageId, abortSignal: undefined });
}

/** Reads chunks until one satisfies `until`; the stream stays open for the caller to cancel. */
async function readUntil(stream: ReadableStream<UIMessageChunk>, until: (c: UIMessageChunk) => boolean) {
  const reader = stream.getReader();
  const chunks: UIMessageChunk[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    if (until(value)) break;
  }
  return { chunks, reader };
}

describe("POST /v1/chat with DefaultChatTransport", () => {
  it("streams a turn as valid UI message chunks that rebuild the stored reply, with stable text part ids", async () => {
    const { t, session } = await sessionSetup();
    const chunks = await readChunks(await send(t, session.id, [userMessage("hello from the AI SDK, please echo this back")]));
    const stored = await storedReply(t, session.id, 1);
    const turnId = stored.events.find((e) => e.type === "turn.started")?.context.turn_id;

    expect(chunks[0]).toEqual({ type: "start", messageId: turnId });
    expect(chunks.map((c) => c.type).filter((type) => type !== "text-delta")).toEqual([
      "start",
      "start-step",
      "text-start",
      "text-end",
      "finish-step",
      "finish",
    ]);
    expect(chunks.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
    const ids = new Set(chunks.flatMap((c) => ("id" in c ? [c.id] : [])));
    expect(ids.size).toBe(1);
    expect(chunks.filter((c) => c.type === "text-delta").length).toBeGreaterThan(1);

    const message = await rebuild(chunks);
    expect(message).toMatchObject({ id: turnId, role: "assistant" });
    expect(textOf(message)).toBe(stored.text);
    expect(stored.text.length).toBeGreaterThan(0);
  });

  it("answers with the protocol's headers and ends the body with [DONE]", async () => {
    const { t, session } = await sessionSetup();
    const res = await callAs(t, "/v1/chat", {
      method: "POST",
      json: { id: session.id, messages: [userMessage("hi")], trigger: "submit-message" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
    const body = await res.text();
    expect(body.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("runs one turn for a retried UIMessage: the retry streams the same turn", async () => {
    const { t, session } = await sessionSetup();
    const message = userMessage("say this once");
    const [first, second] = await Promise.all([
      send(t, session.id, [message]).then(readChunks),
      send(t, session.id, [message]).then(readChunks),
    ]);
    const stored = await storedReply(t, session.id, 1);
    expect(stored.events.filter((e) => e.type === "turn.started")).toHaveLength(1);
    expect(textOf(await rebuild(first))).toBe(stored.text);
    expect(textOf(await rebuild(second))).toBe(stored.text);
    expect(first[0]).toEqual(second[0]);
    const users = (await listMessages(t, session.id)).filter((m) => m.role === "user");
    expect(users).toHaveLength(1);
    expect(users[0]?.metadata).toEqual({ ui_message_id: message.id });

    // The same id with other content is refused, naming the message.
    const other = { ...message, parts: [{ type: "text" as const, text: "something else" }] };
    const res = await callAs(t, "/v1/chat", { method: "POST", json: { id: session.id, messages: [other], trigger: "submit-message" } });
    await expectProblem(res, 422, "idempotency_key_reused", ["body.messages.0.id"]);
  });

  it("maps built-in tools to tool-input-available then tool-output-available, one step per model reply", async () => {
    const { t, session } = await sessionSetup({ capabilities: ["test_math"] });
    const chunks = await readChunks(await send(t, session.id, [userMessage("what is 2 + 3")]));
    const input = chunks.find((c) => c.type === "tool-input-available");
    expect(input).toMatchObject({ toolName: "add", input: { a: 2, b: 3 } });
    const output = chunks.find((c) => c.type === "tool-output-available");
    expect(output).toMatchObject({ toolCallId: (input as { toolCallId: string }).toolCallId });
    expect(chunks.filter((c) => c.type === "start-step")).toHaveLength(2);
    expect(chunks.filter((c) => c.type === "finish-step")).toHaveLength(2);
    const message = await rebuild(chunks);
    const tool = message.parts.find((p) => p.type === "tool-add");
    expect(tool).toMatchObject({ state: "output-available", input: { a: 2, b: 3 } });
    expect(textOf(message)).toBe((await storedReply(t, session.id, 1)).text);
  });

  it("ends a failed turn with an error chunk", async () => {
    const t = await newTenant();
    const { fakeModel } = await import("./support/models");
    const model = await fakeModel(t, "openai", scenarioBase("openai", "status_401"));
    const agent = await createAgent(t, { default_model_id: model });
    const session = await createSession(t, agent.id);
    const chunks = await readChunks(await send(t, session.id, [userMessage("hello")]));
    expect(chunks.at(-2)).toEqual({ type: "error", errorText: "The model provider rejected the credentials" });
    expect(chunks.at(-1)).toEqual({ type: "finish", finishReason: "error" });
  });

  it("ends a cancelled turn with abort", async () => {
    // One delta, then nothing until the 2 s idle timeout: the cancel lands while the reply is open
    // even when the suite keeps the CPU busy (slow_text's whole reply takes about a second).
    const { t, session } = await sessionSetup({ provider: { type: "openai", base: scenarioBase("openai", "hang_after_first_chunk") } });
    const { chunks, reader } = await readUntil(await send(t, session.id, [userMessage("go slowly")]), (c) => c.type === "text-delta");
    expect((await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" })).status).toBe(200);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    expect(chunks.at(-1)).toEqual({ type: "abort", reason: "cancelled" });
  });

  it("refuses regenerate-message, a bad session id, another org's session and a last message that is neither user nor assistant", async () => {
    const { t, session } = await sessionSetup();
    const body = (over: Record<string, unknown>) => ({
      method: "POST",
      json: { id: session.id, messages: [userMessage("x")], trigger: "submit-message", ...over },
    });
    await expectProblem(await callAs(t, "/v1/chat", body({ trigger: "regenerate-message", messageId: "m1" })), 422, "unsupported_feature", [
      "body.trigger",
    ]);
    await expectProblem(await callAs(t, "/v1/chat", body({ id: "chat-1" })), 400, "validation_failed", ["body.id"]);
    await expectProblem(
      await callAs(t, "/v1/chat", body({ messages: [{ id: "s", role: "system", parts: [{ type: "text", text: "x" }] }] })),
      400,
      "validation_failed",
      ["body.messages.0.role"],
    );
    await expectProblem(
      await callAs(
        t,
        "/v1/chat",
        body({
          messages: [{ id: "u", role: "user", parts: [{ type: "file", mediaType: "application/pdf", url: "https://example.com/a.pdf" }] }],
        }),
      ),
      400,
      "validation_failed",
      ["body.messages.0.parts.0"],
    );
    await expectProblem(
      await callAs(t, "/v1/chat", body({ messages: [{ id: "u", role: "user", parts: [{ type: "text", text: "" }] }] })),
      400,
      "validation_failed",
      ["body.messages.0"],
    );
    await expectProblem(
      await callAs(
        t,
        "/v1/chat",
        body({
          messages: [
            {
              id: "u",
              role: "user",
              parts: [
                { type: "text", text: "" },
                { type: "text", text: "w".repeat(300_000) },
              ],
            },
          ],
        }),
      ),
      400,
      "input_too_large",
      ["body.messages.0.parts.1.text"],
    );
    const other = await newTenant();
    await expectProblem(await callAs(other, "/v1/chat", body({})), 404, "session_not_found");
    await expectProblem(await callAs(other, `/v1/chat/${session.id}/stream`), 404, "session_not_found");
    expect(await listMessages(t, session.id)).toHaveLength(0);
  });
});

describe("GET /v1/chat/{id}/stream (reconnectToStream)", () => {
  it("resumed mid-reply gives the whole text once, and after the end answers 204", async () => {
    const { t, session } = await sessionSetup({ provider: { type: "openai", base: scenarioBase("openai", "slow_text") } });
    const first = await readUntil(await send(t, session.id, [userMessage("stream slowly")]), (c) => c.type === "text-delta");
    await first.reader.cancel();

    const resumed = await chatTransport(t).reconnectToStream({ chatId: session.id, abortSignal: undefined });
    expect(resumed).not.toBeNull();
    const chunks = await readChunks(resumed as ReadableStream<UIMessageChunk>);
    const stored = await storedReply(t, session.id, 1);
    expect(chunks[0]).toMatchObject({ type: "start" });
    expect(chunks.filter((c) => c.type === "text-start")).toHaveLength(1);
    expect(deltaText(chunks)).toBe(stored.text);
    expect(textOf(await rebuild(chunks))).toBe(stored.text);

    expect(await chatTransport(t).reconnectToStream({ chatId: session.id, abortSignal: undefined })).toBeNull();
  });

  it("answers 204 for a session with no turn", async () => {
    const { t, session } = await sessionSetup();
    const res = await callAs(t, `/v1/chat/${session.id}/stream`);
    expect(res.status).toBe(204);
  });

  it("answers HEAD with the stream's headers while a turn runs, holding no stream slot", async () => {
    const { t, session } = await sessionSetup({ provider: { type: "openai", base: scenarioBase("openai", "hang") } });
    await sendMessage(t, session.id, "wait for the model");
    await eventsWhen(t, session.id, (events) => events.some((e) => e.type === "turn.started"));
    for (let i = 0; i < 3; i += 1) {
      const head = await callAs(t, `/v1/chat/${session.id}/stream`, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect(head.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
      expect(await head.text()).toBe("");
    }
    const clients = await runInDurableObject(sessionStub(env, session.id), (_object, ctx) => ctx.getWebSockets("client").length);
    expect(clients).toBe(0);
    await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    await settledEvents(t, session.id, 1);
    expect((await callAs(t, `/v1/chat/${session.id}/stream`, { method: "HEAD" })).status).toBe(204);
  });
});

describe("client-side tools through the transport", () => {
  it("streams the call for the client, takes its output from the next POST (addToolOutput), and finishes the turn", async () => {
    const t = await newTenant();
    const tools = [
      {
        type: "client_side",
        name: "city_weather",
        description: "Weather for a city",
        parameters: { type: "object", properties: { city: { type: "string" } } },
      },
    ];
    const agent = await createAgent(t, { tools });
    const session = await createSession(t, agent.id);
    const user = userMessage('call city_weather {"city": "Paris"}');

    const firstChunks = await readChunks(await send(t, session.id, [user]));
    expect(firstChunks.at(-1)).toEqual({ type: "finish", finishReason: "tool-calls" });
    const call = firstChunks.find((c) => c.type === "tool-input-available") as Extract<UIMessageChunk, { type: "tool-input-available" }>;
    expect(call).toMatchObject({ toolName: "city_weather", input: { city: "Paris" } });
    const assistant = await rebuild(firstChunks);
    expect(assistant.parts.find((p) => p.type === "tool-city_weather")).toMatchObject({ state: "input-available" });

    // What Chat.addToolOutput does to the message before it sends it again.
    const answeredMessage: UIMessage = {
      ...assistant,
      parts: assistant.parts.map((p) =>
        p.type === "tool-city_weather" ? { ...p, state: "output-available", output: { temp_c: 18 } } : p,
      ) as UIMessage["parts"],
    };
    const secondChunks = await readChunks(await send(t, session.id, [user, answeredMessage], assistant.id));
    expect(secondChunks[0]).toEqual({ type: "start", messageId: assistant.id });
    expect(secondChunks).toContainEqual({ type: "tool-output-available", toolCallId: call.toolCallId, output: { temp_c: 18 } });
    expect(secondChunks.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
    const final = await rebuild(secondChunks, answeredMessage);
    const stored = await storedReply(t, session.id, 1);
    expect(final.id).toBe(assistant.id);
    expect(final.parts.find((p) => p.type === "tool-city_weather")).toMatchObject({ state: "output-available", output: { temp_c: 18 } });
    expect(textOf(final)).toBe(stored.text);
    expect(stored.events.filter((e) => e.type === "tool.result")).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ tool_call_id: call.toolCallId, result: { temp_c: 18 } }) }),
    ]);

    // A retry of the answering POST stores nothing twice and streams the rest of the turn again.
    const retry = await readChunks(await send(t, session.id, [user, answeredMessage], assistant.id));
    expect(retry.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
    expect((await storedReply(t, session.id, 1)).events.filter((e) => e.type === "tool.result")).toHaveLength(1);
  });

  it("refuses an assistant message that is not a turn waiting on the client", async () => {
    const { t, session } = await sessionSetup();
    const res = await callAs(t, "/v1/chat", {
      method: "POST",
      json: {
        id: session.id,
        messages: [userMessage("x"), { id: "turn_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f", role: "assistant", parts: [] }],
        trigger: "submit-message",
      },
    });
    await expectProblem(res, 409, "not_waiting_for_tool_results", ["body.messages.1.id"]);
  });
});

describe("approvals through the transport", () => {
  async function gated() {
    const t = await newTenant();
    const agent = await createAgent(t, { capabilities: [{ ref: "test_math", config: { require_approval: ["add"] } }] });
    return { t, session: await createSession(t, agent.id) };
  }

  /** What Chat.addToolApprovalResponse does to the message before it sends it again. */
  function respond(message: UIMessage, approved: boolean, reason?: string): UIMessage {
    const parts = message.parts.map((p) => {
      if (p.type !== "tool-add" || p.state !== "approval-requested") return p;
      return { ...p, state: "approval-responded", approval: { id: p.approval.id, approved, ...(reason ? { reason } : {}) } };
    });
    return { ...message, parts: parts as UIMessage["parts"] };
  }

  it("asks with tool-approval-request, runs the tool once the client's next POST approves (addToolApprovalResponse), and finishes the turn", async () => {
    const { t, session } = await gated();
    const user = userMessage("what is 2 + 3");
    const first = await readChunks(await send(t, session.id, [user]));
    const input = first.find((c) => c.type === "tool-input-available") as Extract<UIMessageChunk, { type: "tool-input-available" }>;
    expect(first).toContainEqual({ type: "tool-approval-request", approvalId: input.toolCallId, toolCallId: input.toolCallId });
    expect(first.at(-1)).toEqual({ type: "finish", finishReason: "tool-calls" });
    const asked = await rebuild(first);
    expect(asked.parts.find((p) => p.type === "tool-add")).toMatchObject({
      state: "approval-requested",
      approval: { id: input.toolCallId },
    });

    const approved = respond(asked, true);
    const second = await readChunks(await send(t, session.id, [user, approved], asked.id));
    expect(second).toContainEqual({ type: "tool-approval-response", approvalId: input.toolCallId, approved: true });
    expect(second.find((c) => c.type === "tool-output-available")).toMatchObject({ toolCallId: input.toolCallId });
    expect(second.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
    const final = await rebuild(second, approved);
    expect(final.parts.find((p) => p.type === "tool-add")).toMatchObject({ state: "output-available" });
    const stored = await storedReply(t, session.id, 1);
    expect(textOf(final)).toBe(stored.text);
    expect(stored.events.filter((e) => e.type === "tool.approval_decided").map((e) => e.data["decision"])).toEqual(["allow"]);
  });

  it("maps a rejection to tool-output-denied, and the model hears the reason", async () => {
    const { t, session } = await gated();
    const user = userMessage("what is 2 + 3");
    const asked = await rebuild(await readChunks(await send(t, session.id, [user])));
    const denied = respond(asked, false, "not now");
    const chunks = await readChunks(await send(t, session.id, [user, denied], asked.id));
    const callId = (asked.parts.find((p) => p.type === "tool-add") as { toolCallId: string }).toolCallId;
    expect(chunks).toContainEqual({ type: "tool-output-denied", toolCallId: callId });
    expect(chunks.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
    const final = await rebuild(chunks, denied);
    expect(final.parts.find((p) => p.type === "tool-add")).toMatchObject({ state: "output-denied" });
    const stored = await storedReply(t, session.id, 1);
    expect(stored.events.find((e) => e.type === "tool.result")?.data).toMatchObject({ status: "error", error_code: "tool_rejected" });
    expect(String(stored.events.find((e) => e.type === "tool.result")?.data["error"])).toContain("not now");
  });

  it("refuses an assistant message that answers one call twice (approved, then rejected) with a 400, deciding nothing", async () => {
    const { t, session } = await gated();
    const user = userMessage("what is 2 + 3");
    const asked = await rebuild(await readChunks(await send(t, session.id, [user])));
    const approved = respond(asked, true);
    const twice = { ...approved, parts: [...approved.parts, ...respond(asked, false, "changed my mind").parts] };
    const index = twice.parts.findLastIndex((p) => p.type === "tool-add");
    const res = await callAs(t, "/v1/chat", {
      method: "POST",
      json: { id: session.id, messages: [user, twice], trigger: "submit-message", messageId: asked.id },
    });
    await expectProblem(res, 400, "validation_failed", [`body.messages.1.parts.${index}.toolCallId`]);
    const log = await callAs(t, `/v1/sessions/${session.id}/events?after_sequence=0`, { headers: { accept: "application/json" } });
    const types = ((await log.json()) as { data: { type: string }[] }).data.map((e) => e.type);
    expect(types).toContain("tool.approval_requested");
    expect(types).not.toContain("tool.approval_decided");
  });
});
