import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../src/session/rpc";
import { isEnd, listEvents, settledEvents } from "./support/events";
import { problem } from "./support/problems";
import { callAs } from "./support/requests";
import { createAgent, createSession, sendMessage } from "./support/resources";
import { sessionSetup } from "./support/sessions";
import { openStream, SseReader } from "./support/sse-reader";

describe("session events over SSE", () => {
  it("streams a turn in order with the spec's wire format", async () => {
    const { t, session } = await sessionSetup();
    const res = await openStream(t, session.id);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const reader = new SseReader(res);
    await reader.expectOpening();
    const message = await sendMessage(t, session.id, "hello world");
    const frames: { event: string; id: string | undefined; envelope: EventEnvelope }[] = [];
    for (;;) {
      const next = await reader.nextEvent();
      if (!next) throw new Error("stream closed early");
      frames.push(next);
      if (next.event === "session.completed") break;
    }
    await reader.cancel();
    const types = frames.map((f) => f.event);
    expect(types[0]).toBe("message.created");
    expect(types[1]).toBe("turn.started");
    expect(types.slice(-3)).toEqual(["message.created", "turn.completed", "session.completed"]);
    expect(types.filter((x) => x === "message.delta").length).toBeGreaterThan(0);
    for (const f of frames) {
      expect(f.envelope.type).toBe(f.event);
      expect(f.envelope.session_id).toBe(session.id);
      // Every id the server hands out is a resume cursor, a delta's included.
      expect(f.id).toBe(f.envelope.id);
    }
    const stored = frames.filter((f) => f.event !== "message.delta").map((f) => f.envelope.sequence);
    expect(stored).toEqual(stored.map((_, i) => i + 1));
    const deltas = frames.filter((f) => f.event === "message.delta").map((f) => f.envelope.data);
    expect(deltas.at(-1)?.accumulated).toBe(deltas.map((d) => d.delta).join(""));
    const reply = frames.at(-3)?.envelope.data.message as { role: string; content: { text: string }[] };
    expect(reply.role).toBe("agent");
    expect(reply.content[0]?.text).toBe(deltas.at(-1)?.accumulated);
    expect(frames[1]?.envelope.context).toEqual({ turn_id: expect.stringMatching(/^turn_/), input_message_id: message.id });
    expect(frames[1]?.envelope.data).toEqual({ turn_id: frames[1]?.envelope.context.turn_id, input_message_id: message.id });
  });

  it("serves /events as SSE by default and as a JSON list when Accept prefers JSON", async () => {
    const { t, session } = await sessionSetup();
    await sendMessage(t, session.id, "one");
    const events = await settledEvents(t, session.id);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    expect(events.some((e) => e.type === "message.delta")).toBe(false);
    const sse = await callAs(t, `/v1/sessions/${session.id}/events`);
    expect(sse.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = new SseReader(sse);
    const replayed = await reader.collectUntil(isEnd);
    await reader.cancel();
    expect(replayed.filter((e) => e.type !== "message.delta").map((e) => e.id)).toEqual(events.map((e) => e.id));
    const both = await callAs(t, `/v1/sessions/${session.id}/events`, { headers: { accept: "text/event-stream;q=0.5, application/json" } });
    expect(both.headers.get("content-type")).toContain("application/json");
    await both.json();
  });

  it("pages the JSON list with since_id, limit and before_sequence", async () => {
    const { t, session } = await sessionSetup();
    await sendMessage(t, session.id, "paging please");
    const all = await settledEvents(t, session.id);
    const third = all[2];
    if (!third) throw new Error("too few events");
    expect((await listEvents(t, session.id, `?since_id=${third.id}`)).map((e) => e.sequence)).toEqual(all.slice(3).map((e) => e.sequence));
    expect((await listEvents(t, session.id, "?limit=2")).map((e) => e.sequence)).toEqual([1, 2]);
    expect((await listEvents(t, session.id, `?before_sequence=${all.length}&limit=2`)).map((e) => e.sequence)).toEqual([
      all.length - 2,
      all.length - 1,
    ]);
    // Out-of-range limits are clamped like every paginated list's (spec §1); a non-number is a 400.
    expect((await listEvents(t, session.id, "?limit=0")).map((e) => e.sequence)).toEqual([1]);
    const bad = await callAs(t, `/v1/sessions/${session.id}/events?limit=two`, { headers: { accept: "application/json" } });
    expect(bad.status).toBe(400);
    expect((await problem(bad)).errors?.map((e) => e.path)).toEqual(["query.limit"]);
  });

  it("filters by types and exclude, and 400s unknown types", async () => {
    const { t, session } = await sessionSetup();
    await sendMessage(t, session.id, "filter me");
    const all = await settledEvents(t, session.id);
    const only = await listEvents(t, session.id, "?types=turn.started&types=turn.completed");
    expect(only.map((e) => e.type)).toEqual(["turn.started", "turn.completed"]);
    const comma = await listEvents(t, session.id, "?types=turn.started,turn.completed");
    expect(comma.map((e) => e.id)).toEqual(only.map((e) => e.id));
    const without = await listEvents(t, session.id, "?exclude=message.created");
    expect(without.length).toBe(all.filter((e) => e.type !== "message.created").length);

    const reader = new SseReader(await openStream(t, session.id, "?types=message.created&types=session.completed"));
    const streamed = await reader.collectUntil(isEnd);
    await reader.cancel();
    expect(new Set(streamed.map((e) => e.type))).toEqual(new Set(["message.created", "session.completed"]));

    for (const query of ["?types=nope", "?exclude=turn.started&exclude=bogus"]) {
      const res = await openStream(t, session.id, query);
      expect(res.status).toBe(400);
      const body = await problem(res);
      expect(body.code).toBe("validation_failed");
      expect(body.errors?.[0]?.path).toMatch(/^query\.(types|exclude)\.\d$/);
    }
  });

  it("resumes after every cut point, by Last-Event-ID and by since_id, with no gap and no duplicate", async () => {
    const { t, session } = await sessionSetup({ capabilities: ["current_time"] });
    await sendMessage(t, session.id, "what time is it");
    await sendMessage(t, session.id, "thanks");
    const all = await settledEvents(t, session.id, 2);
    for (const [i, cut] of all.entries()) {
      if (i === all.length - 1) break;
      const byHeader = i % 2 === 0;
      const res = byHeader
        ? await openStream(t, session.id, "", { "last-event-id": cut.id })
        : await openStream(t, session.id, `?since_id=${cut.id}`);
      const reader = new SseReader(res);
      const got = (await reader.collectUntil(isEnd)).filter((e) => e.type !== "message.delta");
      await reader.cancel();
      expect(
        got.map((e) => e.id),
        `cut after ${cut.sequence}`,
      ).toEqual(all.slice(i + 1).map((e) => e.id));
    }
  });

  it("400s a since_id that is unknown or belongs to another session", async () => {
    const { t, session } = await sessionSetup();
    const other = await createSession(t, (await createAgent(t)).id);
    await sendMessage(t, other.id, "elsewhere");
    const foreign = (await settledEvents(t, other.id))[0];
    for (const query of [`?since_id=event_${"0".repeat(32)}`, `?since_id=${foreign?.id}`]) {
      const res = await openStream(t, session.id, query);
      expect(res.status).toBe(400);
      expect((await problem(res)).code).toBe("invalid_cursor");
    }
    const header = await openStream(t, session.id, "", { "last-event-id": "garbage" });
    expect(header.status).toBe(400);
    expect((await problem(header)).code).toBe("invalid_cursor");
  });

  it("gives many concurrent subscribers every event once, in order", async () => {
    const { t, session } = await sessionSetup({ capabilities: ["test_math"] });
    const readers = await Promise.all(Array.from({ length: 6 }, async () => new SseReader(await openStream(t, session.id))));
    await sendMessage(t, session.id, "what is 2 + 3");
    const streams = await Promise.all(readers.map((r) => r.collectUntil(isEnd)));
    await Promise.all(readers.map((r) => r.cancel()));
    const stored = await listEvents(t, session.id);
    for (const events of streams) {
      expect(events.filter((e) => e.type !== "message.delta").map((e) => e.id)).toEqual(stored.map((e) => e.id));
    }
    const deltaTexts = streams.map((events) => events.filter((e) => e.type === "message.delta").map((e) => e.data.delta));
    for (const d of deltaTexts) expect(d).toEqual(deltaTexts[0]);
  });

  it("gives concurrent message posts contiguous sequences and runs their turns in order", async () => {
    const { t, session } = await sessionSetup();
    const posted = await Promise.all(Array.from({ length: 8 }, (_, i) => sendMessage(t, session.id, `message ${i}`)));
    expect(new Set(posted.map((m) => m.sequence)).size).toBe(8);
    const events = await settledEvents(t, session.id, 8);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    const started = events.filter((e) => e.type === "turn.started").map((e) => e.context.input_message_id);
    const bySequence = [...posted].sort((a, b) => a.sequence - b.sequence).map((m) => m.id);
    expect(started).toEqual(bySequence);
    const terminal = events.filter((e) => e.type.startsWith("turn.") && e.type !== "turn.started");
    expect(terminal.map((e) => e.type)).toEqual(Array(8).fill("turn.completed"));
    expect(events.filter((e) => e.type === "session.completed")).toHaveLength(1);
  });

  it("authorizes the stream like every route", async () => {
    const { session } = await sessionSetup();
    const res = await callAs({ headers: {} }, `/v1/sessions/${session.id}/sse`);
    expect(res.status).toBe(401);
    expect((await problem(res)).code).toBe("unauthorized");
  });
});
