import { describe, expect, it } from "vitest";
import { applyDelta, applyStored, EMPTY_LOG, lastEventId, markLive } from "../src/chat/session-log";
import { timeTurn } from "./events";

describe("session log", () => {
  it("takes each stored event once, whatever order or repeats they arrive in", () => {
    const { script } = timeTurn();
    const once = applyStored(EMPTY_LOG, script.events);
    const twice = applyStored(applyStored(once, script.events.slice(3)), [...script.events].reverse());
    expect(twice.events.map((e) => e.sequence)).toEqual(script.events.map((e) => e.sequence));
    expect(lastEventId(twice)).toBe(script.events.at(-1)?.id);
  });

  it("shows a reply as its latest accumulated text, so a repeated or resumed delta never doubles it", () => {
    const { beforeReply, firstDelta, secondDelta } = timeTurn();
    let log = markLive(applyStored(EMPTY_LOG, beforeReply));
    for (const delta of [firstDelta, secondDelta, secondDelta]) log = applyDelta(log, delta);
    expect(log.streaming.message_reply?.text).toBe("It is noon");
  });

  it("replaces the streamed text with the stored message, and drops deltas for a stored reply", () => {
    const { beforeReply, afterReply, firstDelta, secondDelta } = timeTurn();
    let log = applyDelta(markLive(applyStored(EMPTY_LOG, beforeReply)), firstDelta);
    log = applyStored(log, afterReply);
    expect(log.streaming).toEqual({});
    expect(applyDelta(log, secondDelta)).toBe(log);
  });

  it("records a first token only for a reply whose model call started on the live stream", () => {
    const { beforeReply, firstDelta, secondDelta } = timeTurn();
    const watched = applyDelta(applyStored(markLive(applyStored(EMPTY_LOG, beforeReply.slice(0, 2))), beforeReply.slice(2)), firstDelta);
    expect(watched.firstTokenAt.message_reply).toBe(firstDelta.ts);
    expect(applyDelta(watched, secondDelta).firstTokenAt.message_reply).toBe(firstDelta.ts);
    // Reconnecting mid-reply: the server's first delta holds the reply so far; its time is no first token.
    const resumed = applyDelta(markLive(applyStored(EMPTY_LOG, beforeReply)), {
      ...secondDelta,
      data: { ...secondDelta.data, delta: "It is noon" },
    });
    expect(resumed.firstTokenAt).toEqual({});
    expect(resumed.streaming.message_reply?.text).toBe("It is noon");
  });
});
