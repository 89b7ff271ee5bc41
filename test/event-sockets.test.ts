import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../src/session/rpc";
import { isEnd, listEvents, settledEvents, stored } from "./support/events";
import { expectProblem } from "./support/problems";
import { call, callAs } from "./support/requests";
import { createAgent, createSession, sendMessage } from "./support/resources";
import { sessionSetup } from "./support/sessions";
import { openSocket, SocketReader } from "./support/socket-reader";
import { newTenant } from "./support/tenants";

const sequences = (events: EventEnvelope[]) => stored(events).map((e) => e.sequence);

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
    const byProtocol = await call(`/v1/sessions/${session.id}/ws`, { headers: { upgrade: "websocket", "sec-websocket-protocol": `everruns.v1, bearer.${token}` } });
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
    await expectProblem(await call(`/v1/sessions/${session.id}/ws?access_token=nope`, { headers: { upgrade: "websocket" } }), 401, "unauthorized");
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
