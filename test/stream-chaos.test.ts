import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sessionStub } from "../src/services/session-client";
import type { EventEnvelope } from "../src/session/rpc";
import { settledEvents, stored, TERMINAL } from "./support/events";
import { callAs } from "./support/requests";
import { sendMessage } from "./support/resources";
import { sessionSetup } from "./support/sessions";
import { openStream, SseReader } from "./support/sse-reader";
import type { Tenant } from "./support/tenants";

/** A small seeded generator (mulberry32), so a failing run can be replayed exactly. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type ResumeBy = "header" | "since_id" | "after_sequence";

/**
 * A client that reads a few frames, drops the connection, and resumes — by Last-Event-ID, by
 * since_id (the last id it saw, deltas included) or by after_sequence — until it has seen the
 * session's event `until`. Returns every stored event it received, in the order received.
 */
async function flakyClient(t: Tenant, sessionId: string, next: () => number, until: () => number | null): Promise<EventEnvelope[]> {
  const received: EventEnvelope[] = [];
  let lastId: string | null = null;
  let lastStored: EventEnvelope | null = null;
  const ways: ResumeBy[] = ["header", "since_id", "after_sequence"];
  for (let cycle = 0; cycle < 200; cycle += 1) {
    const by: ResumeBy = ways[Math.floor(next() * ways.length)] ?? "header";
    const query: string =
      lastId === null
        ? ""
        : by === "since_id"
          ? `?since_id=${lastId}`
          : by === "after_sequence"
            ? `?after_sequence=${lastStored?.sequence ?? 0}`
            : "";
    const headers: Record<string, string> = lastStored && by === "header" ? { "last-event-id": lastStored.id } : {};
    const reader: SseReader = new SseReader(await openStream(t, sessionId, query, headers));
    const frames = 1 + Math.floor(next() * 8);
    try {
      for (let i = 0; i < frames; i += 1) {
        const event: { envelope: EventEnvelope } | null = await reader.nextEvent(3000);
        if (!event) break;
        lastId = event.envelope.id;
        if (event.envelope.type !== "message.delta") {
          received.push(event.envelope);
          lastStored = event.envelope;
        }
      }
    } catch {
      // nothing more right now: reconnect
    }
    await reader.cancel();
    const last = until();
    if (last !== null && lastStored !== null && lastStored.sequence >= last) return received;
  }
  throw new Error("the client never caught up");
}

describe("streams under chaos", () => {
  it("gives clients that drop and resume at random points, by header, since_id and after_sequence, exactly the stored log", async () => {
    const { t, session } = await sessionSetup({ capabilities: ["current_time", "test_math"] });
    const seedBase = 1337;
    let finalSequence: number | null = null;
    const clients = [0, 1, 2].map((i) => flakyClient(t, session.id, random(seedBase + i), () => finalSequence));
    const prompts = ["what time is it", "what is 6 times 7", "tell me something long ".repeat(6), "add 2 and 3", "hello again"];
    for (const prompt of prompts) {
      await sendMessage(t, session.id, prompt);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const log = await settledEvents(t, session.id);
    finalSequence = log.at(-1)?.sequence ?? null;
    const received = await Promise.all(clients);
    for (const [i, events] of received.entries()) {
      const sequences = events.map((e) => e.sequence);
      expect(new Set(sequences).size, `client ${i}: no duplicates`).toBe(sequences.length);
      expect(sequences, `client ${i}: the stored log, in order`).toEqual(log.map((e) => e.sequence));
      expect(events.map((e) => e.id)).toEqual(log.map((e) => e.id));
    }
    expect(log.filter((e) => TERMINAL.has(e.type))).toHaveLength(prompts.length);
  }, 60_000);

  it("loses nothing when the session's object restarts mid-reply with clients connected: they resume, and every turn ends once", async () => {
    const { t, session } = await sessionSetup();
    const reader = new SseReader(await openStream(t, session.id));
    await sendMessage(t, session.id, "a long reply to cut in the middle ".repeat(8));
    const before = await reader.collectUntil((e) => e.type === "message.delta");
    // A hard restart in the middle of the reply (a deploy, a crash): the object's sockets go with it.
    await runInDurableObject(sessionStub(env, session.id), (_instance, state) => state.abort("simulated restart")).catch(() => undefined);
    // The stream ends with disconnecting (server_restart); the client resumes from its last stored event.
    for (let frame = await reader.nextEvent(); frame !== null; frame = await reader.nextEvent())
      if (frame.event !== "disconnecting") before.push(frame.envelope);
    const last = stored(before).at(-1);
    await sendMessage(t, session.id, "after the restart");
    const log = await settledEvents(t, session.id);
    const resumed = new SseReader(await openStream(t, session.id, "", { "last-event-id": last?.id ?? "" }));
    const after = await resumed.collectUntil((e) => e.type !== "message.delta" && e.sequence === log.at(-1)?.sequence);
    await resumed.cancel();
    expect(stored([...before, ...after]).map((e) => e.sequence)).toEqual(log.map((e) => e.sequence));
    const terminal = log.filter((e) => TERMINAL.has(e.type)).map((e) => [e.type, e.data.error_code ?? null]);
    expect(terminal).toEqual([
      ["turn.failed", "interrupted"],
      ["turn.completed", null],
    ]);
  }, 30_000);
});

describe("stream chaos: the credential goes away mid-stream", () => {
  it("a key revoked while a reply streams: its SSE stream ends with reauthenticate within 10 s, every event it got is a gapless prefix of the log", async () => {
    const { t, session } = await sessionSetup();
    const created = await callAs(t, "/v1/auth/api-keys", { method: "POST", json: { name: "chaos" } });
    const key = (await created.json()) as { id: string; key: string };
    const reader = new SseReader(await openStream({ headers: { authorization: key.key } }, session.id));
    await reader.expectOpening();
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
    await sendMessage(t, session.id, words);
    const got: EventEnvelope[] = [];
    let revokedAt = 0;
    let reason: unknown = null;
    for (;;) {
      const frame = await reader.next(12_000);
      if (frame === null) break;
      if (frame.kind !== "event" || frame.event === "connected") continue;
      if (frame.event === "disconnecting") {
        reason = (JSON.parse(frame.data) as { reason: string }).reason;
        continue;
      }
      got.push(JSON.parse(frame.data) as EventEnvelope);
      if (revokedAt === 0 && frame.event === "message.delta") {
        expect((await callAs(t, `/v1/auth/api-keys/${key.id}`, { method: "DELETE" })).status).toBe(204);
        revokedAt = Date.now();
        // More turns keep the session busy after the revocation.
        for (let i = 0; i < 3; i += 1) await sendMessage(t, session.id, `${words} ${i}`);
      }
    }
    expect(reason).toBe("reauthenticate");
    expect(Date.now() - revokedAt).toBeLessThan(10_000);
    const log = await settledEvents(t, session.id, 4);
    const seen = stored(got).map((e) => e.sequence);
    expect(seen).toEqual(log.slice(0, seen.length).map((e) => e.sequence));
  }, 40_000);
});
