import { describe, expect, it } from "vitest";
import { expectProblem, problem } from "../support/problems";
import { type Caller, callAs } from "../support/requests";
import { createSession } from "../support/resources";
import { sessionSetup } from "../support/sessions";
import { openSocket, SocketReader } from "../support/socket-reader";
import { openStream, reopenStream, SseReader } from "../support/sse-reader";
import { memberOf } from "../support/tenants";

// Runs in the "timing" project: 3 streams per session and 2 per caller (see vitest.config.ts).

async function newKey(caller: Caller): Promise<Caller> {
  const res = await callAs(caller, "/v1/auth/api-keys", { method: "POST", json: { name: "stream key" } });
  expect(res.status).toBe(201);
  return { headers: { authorization: ((await res.json()) as { key: string }).key } };
}

describe("stream slots", () => {
  it("counts a user's streams together, whichever of their keys or tokens opened them", async () => {
    const { t, session } = await sessionSetup();
    const keys = [await newKey(t), await newKey(t), await newKey(t)];
    const first = new SseReader(await openStream(keys[0] as Caller, session.id));
    await first.expectOpening();
    const second = new SocketReader(await openSocket(keys[1] as Caller, session.id));
    // The user's cap (2) is full: a third key, or the user's token, gets no slot.
    await expectProblem(await openStream(keys[2] as Caller, session.id), 429, "too_many_streams");
    await expectProblem(await openStream(t, session.id), 429, "too_many_streams");
    await first.cancel();
    second.close();
    const again = await reopenStream(t, session.id);
    expect(again.status).toBe(200);
    await again.body?.cancel();
  });

  it("answers HEAD on every stream route with the headers only, holding no slot", async () => {
    const { t, session } = await sessionSetup();
    for (const route of ["sse", "events"]) {
      for (let i = 0; i < 5; i += 1) {
        const head = await callAs(t, `/v1/sessions/${session.id}/${route}`, { method: "HEAD" });
        expect(head.status).toBe(200);
        expect(head.headers.get("content-type")).toMatch(/^text\/event-stream/);
        expect(await head.text()).toBe("");
      }
    }
    const ws = await callAs(t, `/v1/sessions/${session.id}/ws`, { method: "HEAD" });
    expect(ws.status).toBe(426);
    expect(await ws.text()).toBe("");
    // Ten HEADs later, every slot is still free: the caller's two streams open at once.
    const streams = [await openStream(t, session.id), await openStream(t, session.id)];
    expect(streams.map((s) => s.status)).toEqual([200, 200]);
    for (const s of streams) await s.body?.cancel();
    // A HEAD answers like the GET would: 404 for a session that does not exist.
    const missing = await callAs(t, `/v1/sessions/session_${"0".repeat(31)}1/sse`, { method: "HEAD" });
    expect(missing.status).toBe(404);
  });

  it("caps concurrent streams per session with 429, and frees a slot as soon as a client leaves", async () => {
    const { t, session } = await sessionSetup();
    const member = await memberOf(t);
    const readers = await Promise.all([t, t, member].map(async (caller) => new SseReader(await openStream(caller, session.id))));
    for (const reader of readers) await reader.expectOpening();
    const refused = await openStream(member, session.id);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("5");
    const body = await problem(refused);
    expect(body).toMatchObject({ code: "too_many_streams", status: 429, retry_after_seconds: 5 });

    await readers[0]?.cancel();
    expect((await reopenStream(t, session.id)).status).toBe(200);
    for (const reader of readers.slice(1)) await reader.cancel();
    // Another session has its own cap.
    const other = await createSession(t, session.agent_id);
    const elsewhere = await openStream(t, other.id);
    expect(elsewhere.status).toBe(200);
    await elsewhere.body?.cancel();
  });

  it("counts streams per caller too, so one member cannot take every slot, and frees all of them at once when they close", async () => {
    const { t, session } = await sessionSetup();
    const member = await memberOf(t);
    const mine = await Promise.all([1, 2].map(async () => new SseReader(await openStream(t, session.id))));
    for (const reader of mine) await reader.expectOpening();
    await expectProblem(await openStream(t, session.id), 429, "too_many_streams"); // the caller's cap (2)
    const theirs = new SseReader(await openStream(member, session.id)); // the session still has room
    await theirs.expectOpening();
    for (const reader of [...mine, theirs]) await reader.cancel();
    // Every client that left gave its slot back: all reconnect at once.
    const again = [await reopenStream(t, session.id), await reopenStream(t, session.id), await reopenStream(member, session.id)];
    expect(again.map((r) => r.status)).toEqual([200, 200, 200]);
    for (const res of again) await res.body?.cancel();
  });
});
