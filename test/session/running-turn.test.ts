import { describe, expect, it } from "vitest";
import { DeltaBatcher } from "../../src/session/delta-batcher";
import { RunningTurn } from "../../src/session/running-turn";

describe("a running turn in memory (RunningTurn)", () => {
  it("keeps the first abort's reason and when it was sent", () => {
    const turn = new RunningTurn();
    expect(turn.abortReason).toBeNull();
    expect(turn.abortedAt).toBeNull();
    turn.abortFor("cancelled");
    const at = turn.abortedAt;
    turn.abortFor("deadline");
    expect(turn.abortReason?.reason).toBe("cancelled");
    expect(turn.abortedAt).toBe(at);
    expect(turn.signal.aborted).toBe(true);
  });

  it("says whether it ended within a wait", async () => {
    const turn = new RunningTurn();
    expect(await turn.endsWithin(10)).toBe(false);
    setTimeout(() => turn.markEnded(), 5);
    expect(await turn.endsWithin(1_000)).toBe(true);
  });
});

describe("text deltas coalesced (DeltaBatcher)", () => {
  it("sends the first at once, joins the next within the interval, and flushes what is pending", async () => {
    const sent: [string, string][] = [];
    const batcher = new DeltaBatcher(50, (delta, accumulated) => sent.push([delta, accumulated]));
    batcher.push("Hel");
    batcher.push("lo");
    batcher.push(" wor");
    expect(sent).toEqual([["Hel", "Hel"]]);
    expect(batcher.text).toBe("Hello wor");
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(sent).toEqual([
      ["Hel", "Hel"],
      ["lo wor", "Hello wor"],
    ]);
    batcher.push("ld");
    batcher.flush();
    expect(sent.at(-1)).toEqual(["ld", "Hello world"]);
  });

  it("stop drops the timer without sending", async () => {
    const sent: string[] = [];
    const batcher = new DeltaBatcher(30, (delta) => sent.push(delta));
    batcher.push("a");
    batcher.push("b");
    batcher.stop();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sent).toEqual(["a"]);
    expect(batcher.text).toBe("ab");
  });
});
