import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../src/session/rpc";
import { expectDeltaChains, isEnd, listEvents, stored, TERMINAL } from "../support/events";
import { scenarioBase } from "../support/models";
import { sendMessage } from "../support/resources";
import { sessionSetup } from "../support/sessions";
import { framesUntilClosed, openStream, reopenStream, type SseFrame, SseReader } from "../support/sse-reader";

// Runs in the "timing" project: heartbeat 100 ms, cycle 2 s ±20 %, turn deadline 2 s (see
// vitest.config.ts). Slow consumers, stream caps and the deadline have files of their own.

describe("stream timing", () => {
  it("sends retry and connected first, then a heartbeat comment per interval on an idle stream", async () => {
    const { t, session } = await sessionSetup();
    const reader = new SseReader(await openStream(t, session.id));
    await reader.expectOpening();
    const started = Date.now();
    const heartbeats: number[] = [];
    while (heartbeats.length < 4) {
      const frame = await reader.next(1000);
      expect(frame).toEqual({ kind: "comment", comment: "heartbeat" });
      heartbeats.push(Date.now() - started);
    }
    await reader.cancel();
    // Four beats of a 100 ms clock take about 400 ms; far less would mean a flood, far more a stall.
    expect(heartbeats.at(-1)).toBeGreaterThanOrEqual(250);
    expect(heartbeats.at(-1)).toBeLessThan(900);
  });

  it("cycles a connection with a disconnecting event, and a resume from Last-Event-ID loses nothing", async () => {
    const { t, session } = await sessionSetup();
    await sendMessage(t, session.id, "before the cycle");
    const reader = new SseReader(await openStream(t, session.id));
    const opened = Date.now();
    const frames = await framesUntilClosed(reader, 5000);
    const lifetime = Date.now() - opened;
    expect(lifetime).toBeGreaterThanOrEqual(1550);
    expect(lifetime).toBeLessThan(3000);
    const events = frames.filter((f) => f.kind === "event");
    const last = events.at(-1);
    expect(last?.event).toBe("disconnecting");
    expect(JSON.parse(last?.data ?? "{}")).toEqual({ reason: "connection_cycle", retry_ms: 250 });
    const stored = events.filter((f) => f.event !== "disconnecting" && f.event !== "message.delta");
    const lastId = stored.at(-1)?.id;
    expect(stored.map((f) => f.event).at(-1)).toBe("session.completed");

    await sendMessage(t, session.id, "while disconnected");
    const resumed = new SseReader(await openStream(t, session.id, "", { "last-event-id": lastId ?? "" }));
    const after = await resumed.collectUntil(isEnd);
    await resumed.cancel();
    const firstAfter = after.find((e) => e.type !== "message.delta");
    expect(firstAfter?.sequence).toBe(JSON.parse(stored.at(-1)?.data ?? "{}").sequence + 1);
  });

  it("cycles a connection in the middle of a streaming reply: a resume from the last delta's id gets the reply so far once, and the log with nothing lost or repeated", async () => {
    // llmsim is unpaced in this project (LLMSIM_WORD_DELAY_MS 0), so its replies end within
    // milliseconds and no cycle can fall inside one. The fake provider's slow_text reply streams 20
    // words 50 ms apart, about a second, inside the 2 s turn deadline; queued messages keep such
    // replies streaming back to back, so most cycles (1.6–2.4 s after a stream opens) fall inside
    // one. Cycles are random, so the client goes on cycling, topping the queue up, until one has;
    // then once more with a message posted while it is away, so the resume replays stored events.
    const { t, session } = await sessionSetup({ provider: { type: "openai", base: scenarioBase("openai", "slow_text") } });
    const received: EventEnvelope[] = []; // every event parsed, over all connections, in order
    const replySoFar = new Map<string, string>(); // each reply's accumulated text as received so far
    let posted = 0;
    let cut: EventEnvelope | undefined; // the last event the client parsed before `disconnecting`
    let midReplyResumes = 0; // resumes from a delta whose reply still streamed: the snapshot came first
    let awayPost: string | undefined; // a message posted while the client was away, for the next resume
    let awayResumes = 0;
    const terminals = () => stored(received).filter((e) => TERMINAL.has(e.type)).length;
    const done = () =>
      midReplyResumes > 0 && awayResumes > 0 && stored(received).at(-1)?.type === "session.completed" && terminals() === posted;
    const isDeltaOf = (e: EventEnvelope, reply: EventEnvelope | undefined) =>
      e.type === "message.delta" && reply?.type === "message.delta" && e.data.message_id === reply.data.message_id;

    for (let connection = 0; !done(); connection += 1) {
      expect(connection, "connections before the cycles this test needs").toBeLessThan(12);
      const reader = new SseReader(await reopenStream(t, session.id, cut ? `?since_id=${cut.id}` : ""));
      await reader.expectOpening();
      const postedAway = awayPost;
      awayPost = undefined;
      if (postedAway) awayResumes += 1;
      // Until a cycle has fallen mid-reply, at least three turns (about three seconds of replies)
      // are queued whenever a stream opens: more than the 2.4 s its cycle may take. Posted once the
      // stream is open, so they are stored long before its cycle.
      if (midReplyResumes === 0) {
        const queued = posted === 0 ? 4 : 3;
        while (posted - terminals() < queued) {
          await sendMessage(t, session.id, `message ${posted}`);
          posted += 1;
        }
      }
      const lastStoredBefore = stored(received).at(-1);
      const events: EventEnvelope[] = [];
      let goodbye: SseFrame | undefined;
      for (;;) {
        const frame = await reader.next(5000);
        if (frame === null) throw new Error("the stream closed without disconnecting");
        if (frame.kind !== "event") continue;
        if (frame.event === "disconnecting") {
          goodbye = frame;
          break;
        }
        const envelope = JSON.parse(frame.data) as EventEnvelope;
        expect(frame.id).toBe(envelope.id);
        expect(frame.event).toBe(envelope.type);
        events.push(envelope);
        received.push(envelope);
        // Resumed from a delta whose reply still streams, with nothing stored meanwhile: the first event is that reply so far.
        if (events.length === 1 && !postedAway && isDeltaOf(envelope, cut)) midReplyResumes += 1;
        if (done()) break;
      }
      if (goodbye?.kind === "event") {
        const body = JSON.parse(goodbye.data) as { reason: string; retry_ms: number };
        expect(body.reason).toBe("connection_cycle");
        expect(body.retry_ms).toBeGreaterThan(0);
        expect(body.retry_ms).toBeLessThanOrEqual(250);
        // Nothing after `disconnecting`: the server closes the stream.
        expect(await reader.next(2000)).toBeNull();
      } else {
        await reader.cancel();
      }

      if (cut) {
        // The resumed stream starts right after the stored event the cursor is, or the delta follows.
        if (cut.type === "message.delta")
          expect(cut.sequence, "a delta's sequence is the stored event it follows").toBe(lastStoredBefore?.sequence);
        const firstStored = stored(events)[0];
        if (firstStored) expect(firstStored.sequence).toBe(cut.sequence + 1);
        // A reply that streamed when the client left and still streams when it is back comes as one
        // delta holding the reply so far (the chains below check it), after the stored events
        // replayed: none when nothing was stored meanwhile, so then it comes first.
        const snapshotAt = events.findIndex((e) => isDeltaOf(e, cut));
        if (snapshotAt >= 0) {
          expect(events.slice(0, snapshotAt).every((e) => e.type !== "message.delta")).toBe(true);
          expect(events[snapshotAt]?.sequence).toBe(stored(events.slice(0, snapshotAt)).at(-1)?.sequence ?? cut.sequence);
          if (!postedAway) expect(snapshotAt).toBe(0);
        }
        if (postedAway) {
          // What was posted while away is replayed before anything live.
          const at = events.findIndex((e) => e.type === "message.created" && (e.data.message as { id: string }).id === postedAway);
          expect(at).toBeGreaterThanOrEqual(0);
          expect(events.slice(0, at).every((e) => e.type !== "message.delta")).toBe(true);
        }
      }

      // Deltas add up within a connection (the first of a reply there is its start, or the snapshot,
      // delta === accumulated), and across connections `accumulated` never goes backwards.
      for (const [id, accumulated] of expectDeltaChains(events, replySoFar)) replySoFar.set(id, accumulated);
      if (events.length > 0) cut = events.at(-1);
      // Once a cycle has fallen mid-reply, the next one is followed by a post before the client is back.
      if (goodbye && midReplyResumes > 0 && awayResumes === 0) {
        awayPost = (await sendMessage(t, session.id, `while away ${posted}`)).id;
        posted += 1;
      }
    }

    // Every stored event arrived exactly once, in order, over all the connections.
    const log = await listEvents(t, session.id);
    expect(log.map((e) => e.sequence)).toEqual(log.map((_, i) => i + 1));
    expect(stored(received)).toEqual(log);
    // Each turn ended once, completed.
    const turns = log.filter((e) => e.type === "turn.started").map((e) => e.context.turn_id);
    expect(turns).toHaveLength(posted);
    for (const turn of turns) {
      expect(log.filter((e) => TERMINAL.has(e.type) && e.context.turn_id === turn).map((e) => e.type)).toEqual(["turn.completed"]);
    }
  }, 60_000);
});
