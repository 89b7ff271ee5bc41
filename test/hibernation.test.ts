import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sessionStub } from "../src/services/session-client";
import type { EventEnvelope } from "../src/session/rpc";
import { sleep } from "./support/async";
import { isEnd, listEvents, stored } from "./support/events";
import { sendMessage } from "./support/resources";
import { sessionSetup } from "./support/sessions";
import { openSocket, SocketReader } from "./support/socket-reader";
import { openStream, SseReader } from "./support/sse-reader";
import type { Tenant } from "./support/tenants";

/** Two SSE streams and two client WebSockets on one session, all open and past their opening frames. */
async function subscribers(t: Tenant, sessionId: string) {
  const sse = await Promise.all([1, 2].map(async () => new SseReader(await openStream(t, sessionId))));
  for (const reader of sse) await reader.expectOpening();
  const sockets = await Promise.all([1, 2].map(async () => new SocketReader(await openSocket(t, sessionId))));
  const readUntilEnd = () => Promise.all([...sse.map((r) => r.collectUntil(isEnd)), ...sockets.map((s) => s.collectUntil(isEnd))]);
  const close = async () => {
    for (const reader of sse) await reader.cancel();
    for (const socket of sockets) socket.close();
  };
  return { readUntilEnd, close };
}

/** Until the session's row in the D1 index is written (the object does it after a turn settles). */
async function indexSettled(sessionId: string): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    const row = await env.DB.prepare("SELECT status FROM sessions WHERE id = ?").bind(sessionId).first<{ status: string }>();
    if (row?.status === "idle") return;
    await sleep(20);
  }
  throw new Error("the index never caught up");
}

describe("an idle session's object can hibernate with its subscribers connected", () => {
  it("holds nothing that keeps it awake while streams are open and no turn runs", async () => {
    const { t, session } = await sessionSetup();
    const subs = await subscribers(t, session.id);
    await sendMessage(t, session.id, "settle");
    await subs.readUntilEnd();
    await indexSettled(session.id);
    const stub = sessionStub(env, session.id);
    const state = await runInDurableObject(stub, async (_instance, ctx) => ({
      alarmIn: ((await ctx.storage.getAlarm()) ?? Number.POSITIVE_INFINITY) - Date.now(),
      sockets: ctx.getWebSockets().length,
      relays: ctx.getWebSockets("relay").length,
      clients: ctx.getWebSockets("client").length,
    }));
    // No watchdog and no index retry pending: the only alarm is the subscribers' credential check
    // (every STREAM_AUTH_CHECK_MS, 4 s: docs/AUTH.md), between which the object may hibernate. Every
    // subscriber (the SSE streams' relays included) is a hibernatable socket: no open request holds
    // the object.
    expect(state.alarmIn).toBeLessThanOrEqual(4_000);
    expect({ ...state, alarmIn: undefined }).toEqual({ alarmIn: undefined, sockets: 4, relays: 2, clients: 2 });
    // Eviction waits for in-flight work to drain; with none, it is immediate.
    const started = Date.now();
    await evictDurableObject(stub);
    expect(Date.now() - started).toBeLessThan(1000);
    await subs.close();
  });

  it("wakes for a new message after an eviction and delivers it to every subscriber, nothing lost or duplicated", async () => {
    const { t, session } = await sessionSetup();
    const subs = await subscribers(t, session.id);
    await sendMessage(t, session.id, "before");
    const before = await subs.readUntilEnd();
    await indexSettled(session.id);
    const stub = sessionStub(env, session.id);
    const first = await runInDurableObject(stub, (instance) => instance);
    await evictDurableObject(stub);
    await sendMessage(t, session.id, "after");
    const after = await subs.readUntilEnd();
    const second = await runInDurableObject(stub, (instance) => instance);
    expect(second).not.toBe(first); // a new instance: the old one was really gone
    const log = (await listEvents(t, session.id)).map((e) => e.sequence);
    for (let i = 0; i < before.length; i += 1) {
      const received = stored([...(before[i] ?? []), ...(after[i] ?? [])] as EventEnvelope[]).map((e) => e.sequence);
      expect(received, `subscriber ${i}`).toEqual(log);
    }
    await subs.close();
  });

  it("after a restart that closes the sockets, SSE clients are told to reconnect and resume with nothing lost", async () => {
    const { t, session } = await sessionSetup();
    const reader = new SseReader(await openStream(t, session.id));
    await sendMessage(t, session.id, "before");
    const before = await reader.collectUntil(isEnd);
    await indexSettled(session.id);
    await evictDurableObject(sessionStub(env, session.id), { webSockets: "close" });
    const frames = [];
    for (let frame = await reader.next(); frame !== null; frame = await reader.next()) frames.push(frame);
    const last = frames.at(-1);
    expect(last).toMatchObject({ kind: "event", event: "disconnecting" });
    expect(JSON.parse(last?.kind === "event" ? last.data : "{}")).toEqual({ reason: "server_restart", retry_ms: 250 });
    await sendMessage(t, session.id, "while away");
    const resumed = new SseReader(await openStream(t, session.id, "", { "last-event-id": stored(before).at(-1)?.id ?? "" }));
    const after = await resumed.collectUntil(isEnd);
    await resumed.cancel();
    const received = stored([...before, ...after]).map((e) => e.sequence);
    expect(received).toEqual((await listEvents(t, session.id)).map((e) => e.sequence));
  });
});
