import { describe, expect, it } from "vitest";
import { ActiveTurns, newActiveTurn } from "../../src/session/active-turns";
import { ClientToolCalls } from "../../src/session/client-tools";
import { type SessionStorage, withSessionStorage } from "../support/session-storage";

const calls = [
  { id: "call_weather", name: "get_weather", arguments: { city: "Oslo" } },
  { id: "call_time", name: "current_time", arguments: {} },
  { id: "call_ui", name: "confirm", arguments: { text: "ok?" } },
];
const byClient = (call: { name: string }) => call.name !== "current_time";

/** A turn that has started, with its client-side tool calls. */
function setup({ db, records, record }: SessionStorage) {
  const active = new ActiveTurns(db);
  const turn = newActiveTurn({ messageId: "message_1", modelId: null }, Date.now());
  active.record(turn);
  return { active, turn, tools: new ClientToolCalls(db, records, record.id, active) };
}

describe("client-side tool calls (ClientToolCalls)", () => {
  it("pending calls make the turn and the session wait; the built-in one's result is recorded beside them", async () => {
    await withSessionStorage((s) => {
      const { active, turn, tools } = setup(s);
      tools.pend(turn.turnId, calls, byClient);
      expect(s.records.get()?.status).toBe("waitingfortoolresults");
      expect(active.current()?.waitingSince).not.toBeNull();
      expect(tools.allAnswered()).toBe(false);
      tools.record([{ call: calls[1] as (typeof calls)[number], status: "success", result: "12:00", error: null, internal: false }]);
      expect(tools.allAnswered()).toBe(false);
    });
  });

  it("refuses results all or none: no wait, an unknown id, an answered call", async () => {
    await withSessionStorage((s) => {
      const { turn, tools } = setup(s);
      expect(tools.submit([{ tool_call_id: "call_weather", result: 1 }])).toEqual({ refused: "not_waiting_for_tool_results" });
      tools.pend(turn.turnId, calls, byClient);
      expect(
        tools.submit([{ tool_call_id: "call_weather", result: 1 }, { tool_call_id: "call_nope" }, { tool_call_id: "call_time" }]),
      ).toEqual({
        refused: "unknown_tool_call",
        indexes: [1, 2],
      });
      expect(tools.submit([{ tool_call_id: "call_weather", result: { c: 21 } }])).toEqual({ accepted: 1, waiting: true });
      expect(
        tools.submit([
          { tool_call_id: "call_ui", result: true },
          { tool_call_id: "call_weather", result: 2 },
        ]),
      ).toEqual({
        refused: "tool_call_already_answered",
        indexes: [1],
      });
      expect(s.records.get()?.status).toBe("waitingfortoolresults");
    });
  });

  it("the last result sets the session active; outcomes come back in the order of the calls, a cut-off built-in call as failed", async () => {
    await withSessionStorage((s) => {
      const { turn, tools } = setup(s);
      tools.pend(turn.turnId, calls, byClient);
      tools.answerCutOff();
      expect(
        tools.submit([
          { tool_call_id: "call_ui", error: "declined" },
          { tool_call_id: "call_weather", result: { c: 21 } },
        ]),
      ).toEqual({ accepted: 2, waiting: false });
      expect(s.records.get()?.status).toBe("active");
      expect(tools.allAnswered()).toBe(true);
      expect(tools.outcomes().map((o) => [o.call.id, o.status, o.result, o.error])).toEqual([
        ["call_weather", "success", { c: 21 }, null],
        ["call_time", "error", null, "The tool did not finish: its session restarted"],
        ["call_ui", "error", null, "declined"],
      ]);
    });
  });

  it("clear forgets the calls and ends the turn's wait once", async () => {
    await withSessionStorage((s) => {
      const { active, turn, tools } = setup(s);
      tools.pend(turn.turnId, calls, byClient);
      tools.clear();
      expect(tools.outcomes()).toEqual([]);
      const after = active.current();
      expect(after?.waitingSince).toBeNull();
      tools.clear();
      expect(active.current()?.waitedMs).toBe(after?.waitedMs);
    });
  });
});
