import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../src/session/rpc";
import { expectDeltaChains, isEnd, listEvents, settledEvents, stored, TERMINAL } from "./support/events";
import { expectProblem } from "./support/problems";
import { call, callAs } from "./support/requests";
import { createAgent, createSession, sendMessage } from "./support/resources";
import { sessionSetup } from "./support/sessions";
import { openSocket, SocketReader } from "./support/socket-reader";
import { newTenant } from "./support/tenants";

const sequences = (events: EventEnvelope[]) => stored(events).map((e) => e.sequence);

/** Forty words: llmsim echoes them, pacing the first 32 (15 ms each here), so the reply streams for about half a second. */
const LONG_TEXT = Array.from({ length: 40 }, (_, i) => `word${i + 1}`).join(" ");

describe("GET /v1/sessions/{id}/ws", () => {
  it("upgrades, then sends each event envelope as one text frame, in order, the same as the stored log", async () => {
    const { t, session } = await sessionSetup();
    const res = await openSocket(t, session.id);
    expect(res.status).toBe(101);
    const socket = new SocketReader(res);
    await sendMessage(t, session.id, "hello over a socket");
    const events = await socket.collectUntil(isEnd);
    socket.close();
    expect(events[0]?.type).toBe("message.created");
    expect(events.filter((e) => e.type === "message.delta").length).toBeGreaterThan(0);
    expect(sequences(events)).toEqual(sequences(events).map((_, i) => i + 1));
    expect(stored(events)).toEqual(await listEvents(t, session.id));
  });

  it("replays after since_id, then goes live, with no gap and no duplicate", async () => {
    const { t, session } = await sessionSetup();
    await sendMessage(t, session.id, "first");
    const first = await settledEvents(t, session.id);
    const cut = first[2];
    const socket = new SocketReader(await openSocket(t, session.id, `?since_id=${cut?.id}`));
    const replayed = await socket.collectUntil((e) => e.sequence === first.at(-1)?.sequence && e.type !== "message.delta");
    expect(sequences(replayed)).toEqual(first.slice(3).map((e) => e.sequence));
    await sendMessage(t, session.id, "second");
    const live = await socket.collectUntil(isEnd);
    socket.close();
    expect(sequences(live)[0]).toBe((first.at(-1)?.sequence ?? 0) + 1);
  });

  it("resumes from a message.delta's id mid-reply: after the stored event the delta follows, then the reply so far as one delta, nothing stored missing or twice", async () => {
    const { t, session } = await sessionSetup();
    const first = new SocketReader(await openSocket(t, session.id));
    await sendMessage(t, session.id, LONG_TEXT);
    // The client stops at the reply's first delta (frames behind it are dropped with the socket).
    const before = await first.collectUntil((e) => e.type === "message.delta");
    first.close();
    const cut = before.at(-1);
    if (cut?.type !== "message.delta") throw new Error("no delta");
    // A delta carries the sequence of the stored event it follows: the last stored one before it.
    expect(cut.sequence).toBe(stored(before).at(-1)?.sequence);
    expect(stored(before).map((e) => e.type)).toEqual(["message.created", "turn.started"]);

    const resumed = new SocketReader(await openSocket(t, session.id, `?since_id=${cut.id}`));
    const after = await resumed.collectUntil(isEnd);
    resumed.close();
    // The reply was still streaming (about half a second of paced words): the resumed socket gets
    // it first as one delta at the same position, covering what the first socket received.
    const snapshot = after[0];
    expect(snapshot?.type).toBe("message.delta");
    expect(snapshot?.id).not.toBe(cut.id);
    expect(snapshot?.sequence).toBe(cut.sequence);
    expect(snapshot?.data.message_id).toBe(cut.data.message_id);
    expectDeltaChains(after, expectDeltaChains(before));
    expect(stored(after)[0]?.sequence).toBe(cut.sequence + 1);
    const log = await listEvents(t, session.id);
    expect([...stored(before), ...stored(after)]).toEqual(log);
    expect(log.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed"]);
  });

  it("resumes from each delta id of a finished reply after the stored event it follows, with no snapshot, then goes live", async () => {
    const { t, session } = await sessionSetup();
    const socket = new SocketReader(await openSocket(t, session.id));
    await sendMessage(t, session.id, LONG_TEXT);
    const turn = await socket.collectUntil(isEnd);
    socket.close();
    const deltas = turn.filter((e) => e.type === "message.delta");
    expect(deltas.length).toBeGreaterThan(1);
    const log = await listEvents(t, session.id);
    for (const delta of deltas) {
      const resumed = new SocketReader(await openSocket(t, session.id, `?since_id=${delta.id}`));
      const replayed = await resumed.collectUntil(isEnd);
      resumed.close();
      // Nothing is streaming: no snapshot, just the stored events after the one the delta follows.
      expect(replayed, delta.id).toEqual(log.filter((e) => e.sequence > delta.sequence));
    }
    // From the last delta, the replay hands over to live with nothing missing or twice.
    const last = deltas.at(-1);
    const resumed = new SocketReader(await openSocket(t, session.id, `?since_id=${last?.id}`));
    const replayed = await resumed.collectUntil(isEnd);
    await sendMessage(t, session.id, "and live after it");
    const live = await resumed.collectUntil(isEnd);
    resumed.close();
    expect(stored([...replayed, ...live])).toEqual((await listEvents(t, session.id)).filter((e) => e.sequence > (last?.sequence ?? 0)));
  });

  it("resumes by after_sequence: 0 replays the whole log, N in the middle the events after N, then live", async () => {
    const { t, session } = await sessionSetup();
    await sendMessage(t, session.id, "one");
    await sendMessage(t, session.id, "two");
    const log = await settledEvents(t, session.id, 2);
    const middle = Math.floor(log.length / 2);
    const fromStart = new SocketReader(await openSocket(t, session.id, "?after_sequence=0"));
    const fromMiddle = new SocketReader(await openSocket(t, session.id, `?after_sequence=${middle}`));
    const isHead = (e: EventEnvelope) => e.type !== "message.delta" && e.sequence === log.at(-1)?.sequence;
    expect(await fromStart.collectUntil(isHead)).toEqual(log);
    const replayed = await fromMiddle.collectUntil(isHead);
    expect(replayed).toEqual(log.slice(middle));
    expect(replayed[0]?.sequence).toBe(middle + 1);
    await sendMessage(t, session.id, "three");
    const live = await fromMiddle.collectUntil(isEnd);
    const startLive = await fromStart.collectUntil(isEnd);
    fromStart.close();
    fromMiddle.close();
    const now = await listEvents(t, session.id);
    expect(stored([...replayed, ...live])).toEqual(now.slice(middle));
    expect(stored([...log, ...startLive])).toEqual(now);
  });

  it("refuses since_id together with after_sequence, and a sequence past the head, with problem+json before the upgrade", async () => {
    const { t, session } = await sessionSetup();
    await sendMessage(t, session.id, "hello");
    const log = await settledEvents(t, session.id);
    // Each cursor alone is accepted…
    for (const query of [`?since_id=${log[0]?.id}`, "?after_sequence=1"]) {
      const res = await openSocket(t, session.id, query);
      expect(res.status, query).toBe(101);
      new SocketReader(res).close();
    }
    // …both together are not, and neither is a sequence the session never handed out.
    const both = await openSocket(t, session.id, `?since_id=${log[0]?.id}&after_sequence=1`);
    expect(both.webSocket).toBeNull();
    await expectProblem(both, 400, "validation_failed", ["query.after_sequence"]);
    await expectProblem(await openSocket(t, session.id, `?after_sequence=${log.length + 5}`), 400, "invalid_cursor", [
      "query.after_sequence",
    ]);
  });

  it("filters by types and exclude", async () => {
    const { t, session } = await sessionSetup();
    const only = new SocketReader(await openSocket(t, session.id, "?types=turn.started&types=session.completed"));
    const without = new SocketReader(await openSocket(t, session.id, "?exclude=message.delta"));
    await sendMessage(t, session.id, "filter me");
    expect((await only.collectUntil(isEnd)).map((e) => e.type)).toEqual(["turn.started", "session.completed"]);
    expect((await without.collectUntil(isEnd)).some((e) => e.type === "message.delta")).toBe(false);
    only.close();
    without.close();
  });

  it("authenticates from the subprotocol or access_token when the client cannot set headers, and answers everruns.v1", async () => {
    const { t, session } = await sessionSetup();
    const token = t.headers.authorization?.replace(/^Bearer /, "") ?? "";
    const byProtocol = await call(`/v1/sessions/${session.id}/ws`, {
      headers: { upgrade: "websocket", "sec-websocket-protocol": `everruns.v1, bearer.${token}` },
    });
    expect(byProtocol.status).toBe(101);
    expect(byProtocol.headers.get("sec-websocket-protocol")).toBe("everruns.v1");
    new SocketReader(byProtocol).close();
    const byQuery = await call(`/v1/sessions/${session.id}/ws?access_token=${token}`, { headers: { upgrade: "websocket" } });
    expect(byQuery.status).toBe(101);
    new SocketReader(byQuery).close();
  });

  it("answers problem+json before any upgrade: 401 without or with a bad credential, 404 for another org's session, 426 without Upgrade, 400 for a bad cursor", async () => {
    const { t, session } = await sessionSetup();
    const other = await newTenant();
    await expectProblem(await call(`/v1/sessions/${session.id}/ws`, { headers: { upgrade: "websocket" } }), 401, "unauthorized");
    await expectProblem(
      await call(`/v1/sessions/${session.id}/ws?access_token=nope`, { headers: { upgrade: "websocket" } }),
      401,
      "unauthorized",
    );
    await expectProblem(await openSocket(other, session.id), 404, "session_not_found");
    await expectProblem(await callAs(t, `/v1/sessions/${session.id}/ws`), 426, "upgrade_required");
    await expectProblem(await openSocket(t, session.id, `?since_id=event_${"0".repeat(32)}`), 400, "invalid_cursor", ["query.since_id"]);
  });

  it("answers ping with pong", async () => {
    const { t, session } = await sessionSetup();
    const socket = new SocketReader(await openSocket(t, session.id));
    socket.socket.send("ping");
    expect(await socket.nextText()).toBe("pong");
    socket.close();
  });

  it("closes every socket with 4404 when the session is deleted", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    const socket = new SocketReader(await openSocket(t, session.id));
    expect((await callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await socket.nextText()).toBeNull();
    expect(socket.closed?.code).toBe(4404);
  });
});
