import { describe, expect, it } from "vitest";
import { sleep } from "./support/async";
import { isEnd, listEvents, settledEvents, TERMINAL } from "./support/events";
import { fakeModel, scenarioBase } from "./support/models";
import { expectProblem } from "./support/problems";
import { callAs, callWith } from "./support/requests";
import { createAgent, createSession, sendMessage } from "./support/resources";
import { turnSetup } from "./support/sessions";
import { newTenant } from "./support/tenants";

describe("races on one session", () => {
  it("reaches only the turn running when five parallel cancels arrive: one turn.cancelled, and the queued turn still completes", async () => {
    const { t, session, reader } = await turnSetup();
    const hanging = await fakeModel(t, "openai", scenarioBase("openai", "hang"));
    await sendMessage(t, session.id, "first, on a model that never answers", { controls: { model_id: hanging } });
    const started = await reader.collectUntil((e) => e.type === "turn.started");
    const firstTurn = started.at(-1)?.data.turn_id;
    await sendMessage(t, session.id, "second, queued behind it");
    const answers = await Promise.all(Array.from({ length: 5 }, () => callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" })));
    const bodies = await Promise.all(answers.map(async (r) => [r.status, await r.json()]));
    // Idempotent for the turn they were aimed at: every one says so, none reaches the next turn.
    expect(bodies).toEqual(Array.from({ length: 5 }, () => [200, { status: "cancelled" }]));
    const events = await reader.collectUntil((e) => isEnd(e) && e.context.turn_id !== firstTurn);
    await reader.cancel();
    const terminal = events.filter((e) => TERMINAL.has(e.type));
    expect(terminal.map((e) => [e.type, e.data.turn_id === firstTurn])).toEqual([
      ["turn.cancelled", true],
      ["turn.completed", false],
    ]);
    // A cancel that names its turn answers the same however often it comes, and never touches another.
    const named = (turnId: unknown) => callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST", json: { turn_id: turnId } });
    expect(await (await named(firstTurn)).json()).toEqual({ status: "cancelled" });
    expect(await (await named(terminal[1]?.data.turn_id)).json()).toEqual({ status: "no_op" });
    expect(await (await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" })).json()).toEqual({ status: "no_op" });
    await expectProblem(await named("turn_nope"), 400, "validation_failed", ["body.turn_id"]);
  });

  it("takes an unnamed cancel that reaches the session just after a cancel ended the turn as its duplicate, even when the next turn has started", async () => {
    const { t, session, reader } = await turnSetup();
    const hanging = await fakeModel(t, "openai", scenarioBase("openai", "hang"));
    const onHangingModel = { controls: { model_id: hanging } };
    await sendMessage(t, session.id, "first", onHangingModel);
    const firstTurn = (await reader.collectUntil((e) => e.type === "turn.started")).at(-1)?.data.turn_id;
    await sendMessage(t, session.id, "second, queued", onHangingModel);
    // The rate limit of the unnamed cancel is slow: meanwhile the first turn ends (cancelled by
    // name) and the queued one starts. The unnamed cancel reaches the session just after: it is a
    // duplicate of that cancel, and the queued turn goes on.
    let secondTurn: unknown;
    const slowLimit = {
      API_RATE_LIMIT: {
        limit: async () => {
          await sleep(5);
          await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST", json: { turn_id: firstTurn } });
          secondTurn = (await reader.collectUntil((e) => e.type === "turn.started")).at(-1)?.data.turn_id;
          return { success: true };
        },
      } as unknown as RateLimit,
    };
    const unnamed = await callWith(slowLimit, `/v1/sessions/${session.id}/cancel`, { method: "POST", headers: t.headers });
    expect(await unnamed.json()).toEqual({ status: "cancelled" });
    await sleep(100);
    // The second turn still runs: only the first has ended.
    expect((await listEvents(t, session.id)).filter((e) => TERMINAL.has(e.type)).map((e) => e.data.turn_id)).toEqual([firstTurn]);
    const second = await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST", json: { turn_id: secondTurn } });
    expect(await second.json()).toEqual({ status: "cancelled" });
    const terminal = (await reader.collectUntil((e) => isEnd(e) && e.context.turn_id !== firstTurn)).filter((e) => TERMINAL.has(e.type));
    await reader.cancel();
    expect(terminal.map((e) => [e.type, e.data.turn_id === firstTurn])).toEqual([["turn.cancelled", false]]);
  });

  it("lets exactly one of five concurrent DELETEs of a session succeed; the others are 404", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    await sendMessage(t, session.id, "something to delete");
    const answers = await Promise.all(Array.from({ length: 5 }, () => callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE" })));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([204, 404, 404, 404, 404]);
    for (const res of answers) if (res.status === 404) await expectProblem(res, 404, "session_not_found");
  });

  it("keeps posts racing a delete consistent: each is stored (201) or refused (404), and none leaves a turn behind", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    await sendMessage(t, session.id, "first");
    await settledEvents(t, session.id);
    const post = () =>
      callAs(t, `/v1/sessions/${session.id}/messages`, {
        method: "POST",
        json: { message: { role: "user", content: [{ type: "text", text: "racing" }] } },
      });
    const answers = await Promise.all([post(), post(), callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE" }), post(), post()]);
    expect(answers[2]?.status).toBe(204);
    for (const res of answers) {
      expect([201, 204, 404]).toContain(res.status);
      await res.body?.cancel();
    }
    expect((await callAs(t, `/v1/sessions/${session.id}`)).status).toBe(404);
  });
});

describe("races: a double-clicked Cancel", () => {
  /** Forty words: llmsim paces the first 32, so each turn streams for about half a second. */
  const LONG = Array.from({ length: 40 }, (_, i) => `word${i + 1}`).join(" ");

  it("five unnamed cancels a few milliseconds apart, repeated 20 times, end only the running turn; the queued one completes every time", async () => {
    const { t, session, reader } = await turnSetup();
    const cancel = () => callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" });
    const outcomes: string[] = [];
    for (let round = 0; round < 20; round += 1) {
      await sendMessage(t, session.id, `${LONG} (round ${round}, first)`);
      const running = (await reader.collectUntil((e) => e.type === "turn.started")).at(-1)?.data.turn_id;
      await sendMessage(t, session.id, `round ${round}, queued behind it`);
      // A double click and then some: the later ones reach the Worker after the first has ended the turn.
      const answers = await Promise.all(
        Array.from({ length: 5 }, async (_, i) => {
          await sleep(i * 4);
          const res = await cancel();
          return [res.status, ((await res.json()) as { status: string }).status];
        }),
      );
      const events = await reader.collectUntil((e) => isEnd(e) && e.context.turn_id !== running, 15_000);
      const ends = events.filter((e) => TERMINAL.has(e.type)).map((e) => `${e.data.turn_id === running ? "running" : "queued"}:${e.type}`);
      outcomes.push([answers.map(([status, body]) => `${status} ${body}`).join(", "), ...ends].join(" | "));
    }
    await reader.cancel();
    const expected = `${Array.from({ length: 5 }, () => "200 cancelled").join(", ")} | running:turn.cancelled | queued:turn.completed`;
    expect(outcomes).toEqual(Array.from({ length: 20 }, () => expected));
  }, 120_000);
});
