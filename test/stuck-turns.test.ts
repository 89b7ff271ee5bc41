import { afterEach, describe, expect, it, vi } from "vitest";
import { sleep } from "./support/async";
import { isEnd, TERMINAL } from "./support/events";
import { expectProblem } from "./support/problems";
import { callAs } from "./support/requests";
import { getSession, sendMessage } from "./support/resources";
import { startStuckTurn } from "./support/stuck-turn";

describe("a turn whose work ignores its abort", () => {
  afterEach(() => vi.restoreAllMocks());

  it("is ended by cancel after its grace period with one turn.cancelled; the session goes idle and works again", async () => {
    const { t, session, reader } = await startStuckTurn();
    const started = Date.now();
    const res = await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "cancelled" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_000); // it waited for the work first
    const ending = await reader.collectUntil(isEnd);
    expect(ending.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.cancelled"]);
    expect((await getSession(t, session.id)).status).toBe("idle");

    vi.restoreAllMocks();
    await sendMessage(t, session.id, "again");
    const next = await reader.collectUntil(isEnd);
    await reader.cancel();
    expect(next.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed"]);
  }, 20_000);

  it("starts no queued turn when a delete comes while a cancel waits out its grace", async () => {
    const { t, session, reader, turnReads } = await startStuckTurn();
    await reader.cancel();
    await sendMessage(t, session.id, "queued behind the stuck turn");
    // The cancel aborts the turn and, its work ignoring that, ends it 5 s later; the delete comes in between.
    const cancel = callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    await sleep(200);
    const res = await callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    // The cancel was waiting for the turn when the delete ended it: the session is gone.
    await expectProblem(await cancel, 404, "session_not_found");
    await sleep(300);
    expect(turnReads()).toBe(1); // the queued message never became a turn of the deleted session
    expect((await callAs(t, `/v1/sessions/${session.id}`)).status).toBe(404);
  }, 20_000);

  it("is deleted within the grace period: DELETE answers 204 and the session is gone", async () => {
    const { t, session, reader } = await startStuckTurn();
    await reader.cancel();
    const res = await callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect((await callAs(t, `/v1/sessions/${session.id}`)).status).toBe(404);
  }, 20_000);
});
