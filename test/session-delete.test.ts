import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sessionStub } from "../src/services/session-client";
import { callAs } from "./support/requests";
import { createAgent, createSession, sendMessage } from "./support/resources";
import { openStream, SseReader } from "./support/sse-reader";
import { newTenant } from "./support/tenants";

const text = (t: string) => ({ message: { role: "user", content: [{ type: "text", text: t }] } });

describe("deleting a session that is in use", () => {
  it("refuses a message or stream that reaches the object after the delete, with nothing stored, which the route turns into 404", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    const stub = sessionStub(env, session.id);
    const meta = { sessionId: session.id, orgId: t.orgId };
    expect(await stub.destroy(meta)).toEqual({ deleted: true });
    expect(await stub.postMessage(meta, { content: [{ type: "text", text: "too late" }], controls: null, metadata: null })).toEqual({
      refused: "session_not_found",
    });
    const res = await stub.fetch(`https://session.internal/stream?session_id=${session.id}&org_id=${t.orgId}`);
    expect(res.status).toBe(404);
    await res.body?.cancel();
    expect(await stub.destroy(meta)).toEqual({ refused: "session_not_found" });
  });

  it("never answers 500 when messages and the delete race; the stream closes and the session is gone", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    await sendMessage(t, session.id, "first");
    const reader = new SseReader(await openStream(t, session.id));
    const post = (n: number) => callAs(t, `/v1/sessions/${session.id}/messages`, { method: "POST", json: text(`racing ${n}`) });
    const [before, del, after] = await Promise.all([post(1), callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE" }), post(2)]);
    expect(del.status).toBe(204);
    for (const res of [before, after]) {
      expect([201, 404]).toContain(res.status);
      await res.body?.cancel();
    }
    // The open stream ends (its events went with the session) rather than hanging.
    for (;;) {
      const frame = await reader.next(5000);
      if (frame === null) break;
    }
    expect((await callAs(t, `/v1/sessions/${session.id}`)).status).toBe(404);
    expect((await callAs(t, `/v1/sessions/${session.id}/messages`)).status).toBe(404);
  });
});
