import { describe, expect, it } from "vitest";
import { ActiveTurns, newActiveTurn, waitedMs } from "../../src/session/active-turns";
import { withSessionStorage } from "../support/session-storage";

describe("the running-turn row (ActiveTurns)", () => {
  it("records a new turn with nothing spent, and forgets it at its end", async () => {
    await withSessionStorage(({ db }) => {
      const active = new ActiveTurns(db);
      expect(active.current()).toBeNull();
      expect(active.progress()).toEqual({ iterations: 0, usage: { inputTokens: 0, outputTokens: 0 } });
      const turn = newActiveTurn({ messageId: "message_1", modelId: null }, 1_000);
      expect(turn.turnId).toMatch(/^turn_/);
      active.record(turn);
      expect(active.current()).toEqual({ ...turn, iterations: 0, inputTokens: 0, outputTokens: 0, waitingSince: null, waitedMs: 0 });
      active.end();
      expect(active.current()).toBeNull();
    });
  });

  it("keeps the progress of a turn that parks", async () => {
    await withSessionStorage(({ db }) => {
      const active = new ActiveTurns(db);
      const turn = newActiveTurn({ messageId: "message_1", modelId: "model_1" }, 1_000);
      active.record(turn);
      active.saveProgress(turn.turnId, { iterations: 3, usage: { inputTokens: 120, outputTokens: 40 } });
      expect(active.progress()).toEqual({ iterations: 3, usage: { inputTokens: 120, outputTokens: 40 } });
      active.saveProgress("turn_other", { iterations: 9, usage: { inputTokens: 9, outputTokens: 9 } });
      expect(active.progress().iterations).toBe(3);
    });
  });

  it("adds each wait for the client to waitedMs once, and a second stop adds nothing", async () => {
    await withSessionStorage(({ db }) => {
      const active = new ActiveTurns(db);
      const turn = newActiveTurn({ messageId: "message_1", modelId: null }, 1_000);
      active.record(turn);
      active.startWaiting(turn.turnId, 2_000);
      expect(active.current()?.waitingSince).toBe(2_000);
      expect(active.stopWaiting(2_300)).toMatchObject({ waitingSince: null, waitedMs: 300 });
      expect(active.stopWaiting(9_000)).toMatchObject({ waitingSince: null, waitedMs: 300 });
      active.startWaiting(turn.turnId, 3_000);
      active.stopWaiting(3_050);
      expect(active.current()).toMatchObject({ waitingSince: null, waitedMs: 350 });
      active.end();
      expect(active.stopWaiting(4_000)).toBeNull();
    });
  });

  it("counts a wait in progress in the time waited", () => {
    expect(waitedMs({ waitedMs: 100, waitingSince: null }, 5_000)).toBe(100);
    expect(waitedMs({ waitedMs: 100, waitingSince: 4_000 }, 5_000)).toBe(1_100);
  });
});
