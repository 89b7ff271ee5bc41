import { describe, expect, it } from "vitest";
import { z } from "@hono/zod-openapi";
import { MessageSchema } from "../src/schemas/messages";
import { newTenant, problem } from "./helpers";
import { as, createAgent, createSession, openStream, sendMessage } from "./fixtures";
import { SseReader } from "./sse-client";

const MessageList = z.object({ data: z.array(MessageSchema) });

async function quietSession() {
  const t = await newTenant();
  const agent = await createAgent(t);
  return { t, session: await createSession(t, agent.id) };
}

describe("messages", () => {
  it("stores a user message and returns it with its event sequence", async () => {
    const { t, session } = await quietSession();
    const message = await sendMessage(t, session.id, "hello there", { metadata: { source: "test" } });
    expect(message).toMatchObject({
      session_id: session.id,
      role: "user",
      content: [{ type: "text", text: "hello there" }],
      metadata: { source: "test" },
      controls: null,
      sequence: 1,
    });
    expect(message.id).toMatch(/^message_[0-9a-f]{32}$/);
    const reader = new SseReader(await openStream(t, session.id));
    const first = await reader.nextEvent();
    expect(first?.envelope).toMatchObject({ type: "message.created", sequence: 1, data: { message: { id: message.id } } });
    await reader.cancel();
  });

  it("accepts image parts by url or base64 and lists messages in order", async () => {
    const { t, session } = await quietSession();
    const res = await as(t, `/v1/sessions/${session.id}/messages`, {
      method: "POST",
      json: {
        message: {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image", url: "https://example.com/cat.png" },
            { type: "image", base64: "aGVsbG8=", media_type: "image/png" },
          ],
        },
      },
    });
    expect(res.status).toBe(201);
    const sent = MessageSchema.parse(await res.json());
    const list = MessageList.parse(await (await as(t, `/v1/sessions/${session.id}/messages`)).json());
    expect(list.data[0]).toEqual(sent);
    const sequences = list.data.map((m) => m.sequence);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
  });

  it("rejects bad shapes with a 400 naming each field and stores nothing", async () => {
    const { t, session } = await quietSession();
    const cases: [unknown, string[]][] = [
      [{}, ["body.message"]],
      [{ message: { role: "agent", content: [{ type: "text", text: "x" }] } }, ["body.message.role"]],
      [{ message: { role: "user", content: [] } }, ["body.message.content"]],
      [{ message: { role: "user", content: [{ type: "tool_call", id: "1", name: "x", arguments: {} }] } }, ["body.message.content.0.type"]],
      [{ message: { role: "user", content: [{ type: "image" }] } }, ["body.message.content.0"]],
      [{ message: { role: "user", content: [{ type: "image", url: "ftp://x/y.png" }] } }, ["body.message.content.0.url"]],
      [{ message: { role: "user", content: [{ type: "text", text: "x" }] }, controls: { model_id: "nope" } }, ["body.controls.model_id"]],
    ];
    for (const [json, paths] of cases) {
      const res = await as(t, `/v1/sessions/${session.id}/messages`, { method: "POST", json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      const body = await problem(res);
      expect(body.code).toBe("validation_failed");
      expect(body.errors?.map((e) => e.path), JSON.stringify(json)).toEqual(expect.arrayContaining(paths));
    }
    const tooBig = await as(t, `/v1/sessions/${session.id}/messages`, {
      method: "POST",
      json: { message: { role: "user", content: [{ type: "text", text: "x".repeat(256 * 1024 + 1) }] } },
    });
    expect(tooBig.status).toBe(400);
    expect((await problem(tooBig)).code).toBe("input_too_large");
    const list = MessageList.parse(await (await as(t, `/v1/sessions/${session.id}/messages`)).json());
    expect(list.data).toEqual([]);
  });

  it("refuses a body over 1 MiB with 413 before parsing it", async () => {
    const { t, session } = await quietSession();
    const res = await as(t, `/v1/sessions/${session.id}/messages`, {
      method: "POST",
      json: { message: { role: "user", content: [{ type: "text", text: "x".repeat(1024 * 1024) }] } },
    });
    expect(res.status).toBe(413);
    expect((await problem(res)).code).toBe("payload_too_large");
  });

  it("422s a controls.model_id that is not a model of the org", async () => {
    const { t, session } = await quietSession();
    const res = await as(t, `/v1/sessions/${session.id}/messages`, {
      method: "POST",
      json: { message: { role: "user", content: [{ type: "text", text: "x" }] }, controls: { model_id: `model_${"1".repeat(32)}` } },
    });
    expect(res.status).toBe(422);
    expect((await problem(res)).code).toBe("unknown_model");
  });

  it("answers invalid_id and session_not_found on the message routes", async () => {
    const t = await newTenant();
    const bad = await as(t, "/v1/sessions/abc/messages");
    expect(bad.status).toBe(400);
    expect((await problem(bad)).code).toBe("invalid_id");
    const missing = await as(t, `/v1/sessions/session_${"a".repeat(32)}/messages`);
    expect(missing.status).toBe(404);
    expect((await problem(missing)).code).toBe("session_not_found");
  });
});
