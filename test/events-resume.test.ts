import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../src/session/rpc";
import { sleep } from "./support/async";
import { expectDeltaChains, listEvents, stored } from "./support/events";
import { fakeModel, scenarioBase } from "./support/models";
import { problem } from "./support/problems";
import { callAs } from "./support/requests";
import { createAgent, createSession, sendMessage } from "./support/resources";
import { openStream, SseReader } from "./support/sse-reader";
import { newTenant } from "./support/tenants";

/** Reads until the session completes the turn of the given input message. */
function untilTurnDone(reader: SseReader, inputMessageId: string) {
  return reader.collectUntil((e) => e.type === "session.completed" && e.context.input_message_id === inputMessageId, 20_000);
}

/**
 * Sends a message whose reply streams for about a second, then every ~150 ms opens a stream from
 * the newest stored event or an older one (by header and by query), posting a second message after
 * the second join; reads every stream to the second turn's session.completed.
 */
async function joinDuringReplies(offsetMs: number) {
  const t = await newTenant();
  const modelId = await fakeModel(t, "openai", scenarioBase("openai", "slow_text"));
  const session = await createSession(t, (await createAgent(t, { default_model_id: modelId })).id);
  await sendMessage(t, session.id, "first");
  await sleep(offsetMs);
  const joined: { after: number; reader: SseReader }[] = [];
  let second = "";
  for (let i = 0; i < 5; i += 1) {
    if (i === 2) second = (await sendMessage(t, session.id, "second")).id;
    const sofar = await listEvents(t, session.id);
    const cut = i === 3 ? sofar[Math.floor(sofar.length / 2)] : sofar.at(-1);
    const byHeader = i % 2 === 0;
    const res = cut
      ? await openStream(t, session.id, byHeader ? "" : `?since_id=${cut.id}`, byHeader ? { "last-event-id": cut.id } : {})
      : await openStream(t, session.id);
    expect(res.status).toBe(200);
    joined.push({ after: cut?.sequence ?? 0, reader: new SseReader(res) });
    await sleep(150);
  }
  const results = await Promise.all(
    joined.map(async ({ after, reader }) => ({ after, events: await untilTurnDone(reader, second).finally(() => reader.cancel()) })),
  );
  const all = await listEvents(t, session.id);
  expect(all.map((e) => e.sequence)).toEqual(all.map((_, i) => i + 1));
  return results.map((r) => ({ ...r, all }));
}

describe("resume while the session is busy", () => {
  it("gives clients that join at many points of a streaming reply, while another message is posted, every event once and each reply exactly once", async () => {
    // Three rounds of five joins at staggered offsets: fifteen cut points. (The test runtime
    // allows six open connections at once, so the streams of one round stay under that.)
    const results = [];
    for (const offsetMs of [0, 30, 60]) results.push(...(await joinDuringReplies(offsetMs)));
    for (const { after, events, all } of results) {
      expect(stored(events).map((e) => e.id)).toEqual(all.filter((e) => e.sequence > after).map((e) => e.id));
      expectDeltaChains(events);
    }
    // Some clients joined mid-reply, so the hand-over with a reply in flight was exercised.
    expect(results.some(({ events }) => events[0]?.type === "message.delta")).toBe(true);
  }, 60_000);

  it("replays a history larger than the stream's backlog limit to a client that reads, without dropping it", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    // One long word: llmsim echoes it back as the reply, so each turn stores about 2 × 200 KiB.
    const big = "x".repeat(200 * 1024);
    for (let i = 0; i < 4; i += 1) {
      await sendMessage(t, session.id, big);
      await waitUntil(async () => (await listEvents(t, session.id)).filter((e) => e.type === "session.completed").length > i);
    }
    const all = await listEvents(t, session.id);
    const reader = new SseReader(await openStream(t, session.id));
    const replayed: EventEnvelope[] = [];
    while (replayed.length < all.length) {
      const next = await reader.nextEvent(10_000);
      if (next === null) break;
      expect(next.event).not.toBe("disconnecting");
      replayed.push(next.envelope);
    }
    await reader.cancel();
    expect(replayed.map((e) => e.id)).toEqual(all.map((e) => e.id));
  }, 60_000);
});

async function waitUntil(done: () => Promise<boolean>) {
  for (let i = 0; i < 200; i += 1) {
    if (await done()) return;
    await sleep(25);
  }
  throw new Error("condition not reached");
}

describe("the JSON event list", () => {
  async function twoTurns() {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    await sendMessage(t, session.id, "one");
    await sendMessage(t, session.id, "two");
    await waitUntil(async () => (await listEvents(t, session.id)).filter((e) => e.type === "turn.completed").length === 2);
    return { t, session };
  }

  it("filters by type before the limit, so pages hold matching events and an empty page is the end", async () => {
    const { t, session } = await twoTurns();
    const [firstTurn] = await listEvents(t, session.id, "?types=turn.completed&limit=1");
    expect(firstTurn?.type).toBe("turn.completed");
    const next = await listEvents(t, session.id, `?types=turn.completed&limit=1&since_id=${firstTurn?.id}`);
    expect(next.map((e) => e.type)).toEqual(["turn.completed"]);
    expect(await listEvents(t, session.id, `?types=turn.completed&limit=1&since_id=${next[0]?.id}`)).toEqual([]);
    const all = await listEvents(t, session.id);
    const withoutCreated = await listEvents(t, session.id, "?exclude=message.created&limit=3");
    expect(withoutCreated.map((e) => e.id)).toEqual(
      all
        .filter((e) => e.type !== "message.created")
        .slice(0, 3)
        .map((e) => e.id),
    );
    expect(withoutCreated).toHaveLength(3);
    const backward = await listEvents(t, session.id, "?types=turn.started&before_sequence=1000&limit=1");
    expect(backward.map((e) => e.id)).toEqual([all.filter((e) => e.type === "turn.started").at(-1)?.id]);
  });

  it("clamps limit into 1–1000 and rejects a limit that is not a number", async () => {
    const { t, session } = await twoTurns();
    const all = await listEvents(t, session.id);
    expect(await listEvents(t, session.id, "?limit=5000")).toHaveLength(all.length);
    expect(await listEvents(t, session.id, "?limit=0")).toHaveLength(1);
    const res = await callAs(t, `/v1/sessions/${session.id}/events?limit=abc`, { headers: { accept: "application/json" } });
    expect(res.status).toBe(400);
    const body = await problem(res);
    expect(body.code).toBe("validation_failed");
    expect(body.errors?.map((e) => e.path)).toEqual(["query.limit"]);
  });

  it.each([
    ["application/json", "json"],
    ["Application/JSON; Q=0.9, text/event-stream;q=0.1", "json"],
    ["application/*", "json"],
    ["text/event-stream;q=0.5, application/json", "json"],
    ["application/json;q=0.5, */*", "sse"],
    ["application/json;q=0.5, text/event-stream", "sse"],
    ["*/*", "sse"],
    ["application/json, text/event-stream", "sse"],
    ["text/html", "sse"],
  ])("negotiates Accept: %s → %s", async (accept, expected) => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    const res = await callAs(t, `/v1/sessions/${session.id}/events`, { headers: { accept } });
    expect(res.status).toBe(200);
    expect(res.headers.get("vary")).toBe("Accept");
    if (expected === "json") {
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ data: [] });
    } else {
      expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
      await res.body?.cancel();
    }
  });
});
