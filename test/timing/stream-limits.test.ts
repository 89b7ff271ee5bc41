import { describe, expect, it } from "vitest";
import { expectProblem } from "../support/problems";
import { type Caller, callAs } from "../support/requests";
import { sessionSetup } from "../support/sessions";
import { openSocket, SocketReader } from "../support/socket-reader";
import { openStream, reopenStream, SseReader } from "../support/sse-reader";

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
});
