import { describe, expect, it } from "vitest";
import { MessagePage as MessageList } from "../src/routes/messages";
import { MessageSchema } from "../src/schemas/messages";
import { isEnd } from "./support/events";
import { problem } from "./support/problems";
import { type Caller, callAs } from "./support/requests";
import { sendMessage } from "./support/resources";
import { sessionSetup } from "./support/sessions";
import { openStream, SseReader } from "./support/sse-reader";
import { newTenant } from "./support/tenants";

const text = (t: string) => ({ type: "text", text: t });
const userMessage = (...content: unknown[]) => ({ message: { role: "user", content } });

/** POSTs a message body and checks status, code and the exact errors[].path list. */
async function expectRefused(t: Caller, sessionId: string, json: unknown, code: string, paths: string[]) {
  const res = await callAs(t, `/v1/sessions/${sessionId}/messages`, { method: "POST", json });
  expect(res.status, JSON.stringify(json).slice(0, 120)).toBe(400);
  const body = await problem(res);
  expect(body.code, JSON.stringify(json).slice(0, 120)).toBe(code);
  expect(body.errors?.map((e) => e.path).sort()).toEqual([...paths].sort());
}

describe("messages", () => {
  it("stores a user message and returns it with its event sequence", async () => {
    const { t, session } = await sessionSetup();
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
    const { t, session } = await sessionSetup();
    const res = await callAs(t, `/v1/sessions/${session.id}/messages`, {
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
    const list = MessageList.parse(await (await callAs(t, `/v1/sessions/${session.id}/messages`)).json());
    expect(list.data[0]).toEqual(sent);
    const sequences = list.data.map((m) => m.sequence);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
  });

  it("rejects bad shapes with a 400 naming each field and stores nothing", async () => {
    const { t, session } = await sessionSetup();
    const cases: [unknown, string[]][] = [
      [{}, ["body.message"]],
      [{ message: { role: "agent", content: [{ type: "text", text: "x" }] } }, ["body.message.role"]],
      [{ message: { role: "user", content: [] } }, ["body.message.content"]],
      [{ message: { role: "user", content: [{ type: "tool_call", id: "1", name: "x", arguments: {} }] } }, ["body.message.content.0.type"]],
      [{ message: { role: "user", content: [{ type: "image" }] } }, ["body.message.content.0"]],
      [{ message: { role: "user", content: [{ type: "image", url: "ftp://x/y.png" }] } }, ["body.message.content.0.url"]],
      [{ message: { role: "user", content: [{ type: "text", text: "x" }] }, controls: { model_id: "nope" } }, ["body.controls.model_id"]],
      [userMessage(text("")), ["body.message.content.0.text"]],
      [userMessage(text("ok"), { type: "image", base64: "aGVsbG8=" }), ["body.message.content.1.media_type"]],
      [{ ...userMessage(text("x")), tags: [""] }, ["body.tags.0"]],
      [{ ...userMessage(text("x")), tags: ["a"], metadata: { tags: ["b"] } }, ["body.tags"]],
    ];
    for (const [json, paths] of cases) {
      const res = await callAs(t, `/v1/sessions/${session.id}/messages`, { method: "POST", json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      const body = await problem(res);
      expect(body.code).toBe("validation_failed");
      expect(
        body.errors?.map((e) => e.path),
        JSON.stringify(json),
      ).toEqual(expect.arrayContaining(paths));
    }
    const tooBig = await callAs(t, `/v1/sessions/${session.id}/messages`, {
      method: "POST",
      json: { message: { role: "user", content: [{ type: "text", text: "x".repeat(256 * 1024 + 1) }] } },
    });
    expect(tooBig.status).toBe(400);
    expect((await problem(tooBig)).code).toBe("input_too_large");
    const list = MessageList.parse(await (await callAs(t, `/v1/sessions/${session.id}/messages`)).json());
    expect(list).toEqual({ data: [], total: 0, offset: 0, limit: 20 });
  });

  it("answers input_too_large for too many parts, an oversized image, metadata or tags, naming the field", async () => {
    const { t, session } = await sessionSetup();
    await expectRefused(t, session.id, userMessage(...Array.from({ length: 33 }, () => text("x"))), "input_too_large", [
      "body.message.content",
    ]);
    const bigImage = { type: "image", base64: "A".repeat(768 * 1024 + 4), media_type: "image/png" };
    await expectRefused(t, session.id, userMessage(text("look"), bigImage), "input_too_large", ["body.message.content.1.base64"]);
    // 9000 characters but 18000 bytes: the limit counts bytes.
    await expectRefused(t, session.id, { ...userMessage(text("x")), metadata: { note: "é".repeat(9000) } }, "input_too_large", [
      "body.metadata",
    ]);
    await expectRefused(t, session.id, { ...userMessage(text("x")), tags: ["é".repeat(65)] }, "input_too_large", ["body.tags.0"]);
    await expectRefused(t, session.id, { ...userMessage(text("x")), tags: Array(51).fill("t") }, "input_too_large", ["body.tags"]);
    // A size issue next to a shape issue: the request must change shape anyway, so validation_failed.
    await expectRefused(t, session.id, { ...userMessage(text("")), metadata: { note: "é".repeat(9000) } }, "validation_failed", [
      "body.message.content.0.text",
      "body.metadata",
    ]);
    expect(MessageList.parse(await (await callAs(t, `/v1/sessions/${session.id}/messages`)).json()).total).toBe(0);
  });

  it("stores tags as metadata.tags next to the client's metadata", async () => {
    const { t, session } = await sessionSetup();
    const tagged = await sendMessage(t, session.id, "one", { tags: ["a"], metadata: { source: "test" } });
    expect(tagged.metadata).toEqual({ source: "test", tags: ["a"] });
    const own = await sendMessage(t, session.id, "two", { metadata: { tags: ["mine"] } });
    expect(own.metadata).toEqual({ tags: ["mine"] });
    const bare = await sendMessage(t, session.id, "three");
    expect(bare.metadata).toBeNull();
  });

  it("answers invalid_json and unsupported_media_type on the message route", async () => {
    const { t, session } = await sessionSetup();
    const path = `/v1/sessions/${session.id}/messages`;
    const broken = await callAs(t, path, { method: "POST", headers: { "content-type": "application/json" }, body: '{"message": ' });
    expect(broken.status).toBe(400);
    expect((await problem(broken)).code).toBe("invalid_json");
    const plain = await callAs(t, path, { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" });
    expect(plain.status).toBe(415);
    expect((await problem(plain)).code).toBe("unsupported_media_type");
    expect(MessageList.parse(await (await callAs(t, path)).json()).total).toBe(0);
  });

  it("lists a conversation oldest first in pages that do not overlap", async () => {
    const { t, session } = await sessionSetup();
    const reader = new SseReader(await openStream(t, session.id));
    const sent: string[] = [];
    for (const words of ["one", "two"]) {
      sent.push((await sendMessage(t, session.id, words)).id);
      await reader.collectUntil(isEnd);
    }
    await reader.cancel();
    const path = `/v1/sessions/${session.id}/messages`;
    const all = MessageList.parse(await (await callAs(t, path)).json());
    expect(all).toMatchObject({ total: 4, offset: 0, limit: 20 });
    expect(all.data.map((m) => [m.role, m.content])).toEqual([
      ["user", [text("one")]],
      ["agent", [text("Echo: one")]],
      ["user", [text("two")]],
      ["agent", [text("Echo: two")]],
    ]);
    expect([all.data[0]?.id, all.data[2]?.id]).toEqual(sent);
    const sequences = all.data.map((m) => m.sequence);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
    const paged: string[] = [];
    for (let offset = 0; offset < 4; offset += 3) {
      const page = MessageList.parse(await (await callAs(t, `${path}?limit=3&offset=${offset}`)).json());
      expect(page).toMatchObject({ total: 4, offset, limit: 3 });
      paged.push(...page.data.map((m) => m.id));
    }
    expect(paged).toEqual(all.data.map((m) => m.id));
    expect(MessageList.parse(await (await callAs(t, `${path}?offset=9`)).json())).toEqual({ data: [], total: 4, offset: 9, limit: 20 });
    expect(MessageList.parse(await (await callAs(t, `${path}?limit=0`)).json()).limit).toBe(1);
    expect(MessageList.parse(await (await callAs(t, `${path}?limit=500`)).json()).limit).toBe(100);
    const bad = await callAs(t, `${path}?limit=abc`);
    expect(bad.status).toBe(400);
    expect((await problem(bad)).errors?.map((e) => e.path)).toEqual(["query.limit"]);
  });

  it("refuses a body over 1 MiB with 413 before parsing it", async () => {
    const { t, session } = await sessionSetup();
    const res = await callAs(t, `/v1/sessions/${session.id}/messages`, {
      method: "POST",
      json: { message: { role: "user", content: [{ type: "text", text: "x".repeat(1024 * 1024) }] } },
    });
    expect(res.status).toBe(413);
    expect((await problem(res)).code).toBe("payload_too_large");
  });

  it("422s a controls.model_id that is not a model of the org", async () => {
    const { t, session } = await sessionSetup();
    const res = await callAs(t, `/v1/sessions/${session.id}/messages`, {
      method: "POST",
      json: { message: { role: "user", content: [{ type: "text", text: "x" }] }, controls: { model_id: `model_${"1".repeat(32)}` } },
    });
    expect(res.status).toBe(422);
    expect((await problem(res)).code).toBe("unknown_model");
  });

  it("answers invalid_id and session_not_found on the message routes", async () => {
    const t = await newTenant();
    const bad = await callAs(t, "/v1/sessions/abc/messages");
    expect(bad.status).toBe(400);
    expect((await problem(bad)).code).toBe("invalid_id");
    const missing = await callAs(t, `/v1/sessions/session_${"a".repeat(32)}/messages`);
    expect(missing.status).toBe(404);
    expect((await problem(missing)).code).toBe("session_not_found");
  });
});
