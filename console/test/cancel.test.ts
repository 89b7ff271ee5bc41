import { describe, expect, it } from "vitest";
import { cancelRequest } from "../src/chat/cancel";
import { applyStored, EMPTY_LOG } from "../src/chat/session-log";
import { buildTranscript } from "../src/chat/transcript";
import { EventScript } from "./events";

describe("the Cancel button's request", () => {
  it("names the running turn, so a double click can never reach the turn queued behind it", () => {
    const s = new EventScript();
    s.userMessage(0, "message_a", "first");
    s.stored("turn.started", 5, { turn_id: "turn_a" }, "turn_a", "message_a");
    s.userMessage(20, "message_b", "second");
    const transcript = buildTranscript(applyStored(EMPTY_LOG, s.events));
    expect(cancelRequest("session_x", transcript)).toEqual({ path: "/v1/sessions/session_x/cancel", body: { turn_id: "turn_a" } });
  });

  it("is not sent when no turn runs", () => {
    expect(cancelRequest("session_x", buildTranscript(EMPTY_LOG))).toBeNull();
  });
});
