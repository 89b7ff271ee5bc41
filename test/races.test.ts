import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { SessionPage } from "../src/routes/sessions";
import { AgentSchema } from "../src/schemas/agents";
import { LlmModelSchema } from "../src/schemas/llm";
import { MemberSchema } from "../src/schemas/orgs";
import { sleep } from "./support/async";
import { settledEvents, TERMINAL } from "./support/events";
import { expectProblem } from "./support/problems";
import { type Caller, call, callAs } from "./support/requests";
import { createAgent, createLlmModel, createLlmProvider, createSession, getSession, listMessages, sendMessage } from "./support/resources";
import { newTenant, uniqueIp } from "./support/tenants";

/** How many of `responses` had each status, e.g. `{201: 1, 409: 7}`; every body is read. */
async function statusCounts(responses: Response[]): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (const res of responses) {
    await res.clone().text();
    counts[res.status] = (counts[res.status] ?? 0) + 1;
  }
  return counts;
}

/** Fires `n` copies of a request at once. */
function together(n: number, send: () => Promise<Response>): Promise<Response[]> {
  return Promise.all(Array.from({ length: n }, send));
}

/** A provider's models as the API lists them. */
async function providerModels(caller: Caller, providerId: string) {
  const res = await callAs(caller, `/v1/llm-providers/${providerId}/models`);
  return z.object({ data: z.array(LlmModelSchema) }).parse(await res.json()).data;
}

/** Every refused response of a race is the documented 409. */
async function expectConflicts(responses: Response[], code: "conflict" | "email_taken" = "conflict"): Promise<void> {
  for (const res of responses.filter((r) => r.status !== 201 && r.status !== 200)) await expectProblem(res, 409, code);
}

describe("races: concurrent creates of anything unique have one winner", () => {
  it("eight parallel POSTs of one model_id to one provider create it once; the rest are 409", async () => {
    const t = await newTenant();
    const provider = await createLlmProvider(t);
    for (let round = 0; round < 10; round += 1) {
      const modelId = `gpt-race-${round}`;
      const responses = await together(8, () =>
        callAs(t, `/v1/llm-providers/${provider.id}/models`, { method: "POST", json: { model_id: modelId } }),
      );
      expect(await statusCounts(responses), `round ${round}`).toEqual({ 201: 1, 409: 7 });
      await expectConflicts(responses);
      expect((await providerModels(t, provider.id)).filter((m) => m.model_id === modelId)).toHaveLength(1);
    }
  });

  it("two models renamed to the same model_id at once: one rename wins", async () => {
    const t = await newTenant();
    const provider = await createLlmProvider(t);
    for (let round = 0; round < 5; round += 1) {
      const models = await Promise.all(Array.from({ length: 4 }, () => createLlmModel(t, provider.id)));
      const target = `renamed-${round}`;
      const responses = await Promise.all(
        models.map((m) => callAs(t, `/v1/llm-models/${m.id}`, { method: "PATCH", json: { model_id: target } })),
      );
      expect(await statusCounts(responses), `round ${round}`).toEqual({ 200: 1, 409: 3 });
      await expectConflicts(responses);
      expect((await providerModels(t, provider.id)).filter((m) => m.model_id === target)).toHaveLength(1);
    }
  });

  it("the same model_id under two providers is not a conflict", async () => {
    const t = await newTenant();
    const [a, b] = await Promise.all([createLlmProvider(t), createLlmProvider(t)]);
    if (!a || !b) throw new Error("providers");
    const responses = await Promise.all(
      [a, b].map((p) => callAs(t, `/v1/llm-providers/${p.id}/models`, { method: "POST", json: { model_id: "shared-name" } })),
    );
    expect(await statusCounts(responses)).toEqual({ 201: 2 });
  });
});

describe("races: concurrent creates of other unique things", () => {
  it("one email registered eight times at once: one account, the rest 409 email_taken", async () => {
    const email = `race-${crypto.randomUUID()}@example.test`;
    const responses = await together(8, () =>
      call("/v1/auth/register", {
        method: "POST",
        headers: { "cf-connecting-ip": uniqueIp() },
        json: { email, password: "correct horse battery", name: "Racer" },
      }),
    );
    expect(await statusCounts(responses)).toEqual({ 201: 1, 409: 7 });
    await expectConflicts(responses, "email_taken");
    const winner = responses.find((r) => r.status === 201);
    const login = await call("/v1/auth/login", {
      method: "POST",
      headers: { "cf-connecting-ip": uniqueIp() },
      json: { email, password: "correct horse battery" },
    });
    expect(login.status).toBe(200);
    const body = (await login.json()) as { user: { id: string } };
    const first = (await winner?.clone().json()) as { user: { id: string } } | undefined;
    expect(body.user.id).toBe(first?.user.id);
  });

  it("one user added to an org six times at once: one membership, the rest 409", async () => {
    const owner = await newTenant();
    const other = await newTenant();
    const responses = await together(6, () =>
      callAs(owner, `/v1/orgs/${owner.orgId}/members`, { method: "POST", json: { email: other.email, role: "member" } }),
    );
    expect(await statusCounts(responses)).toEqual({ 201: 1, 409: 5 });
    await expectConflicts(responses);
    const members = z
      .object({ data: z.array(MemberSchema) })
      .parse(await (await callAs(owner, `/v1/orgs/${owner.orgId}/members`)).json()).data;
    expect(members.filter((m) => m.user_id === other.userId)).toHaveLength(1);
  });
});

describe("races: concurrent PATCH and DELETE of one agent", () => {
  it("archives it once (one 204, the other DELETEs 404) while every PATCH lands whole", async () => {
    const t = await newTenant();
    for (let round = 0; round < 5; round += 1) {
      const agent = await createAgent(t, { capabilities: ["noop"] });
      const lists = [["current_time"], ["test_math", "test_weather"], ["noop", "current_time", "test_math"], []];
      const patches = lists.map((capabilities, i) =>
        callAs(t, `/v1/agents/${agent.id}`, { method: "PATCH", json: { name: `patched ${i}`, capabilities } }),
      );
      const deletes = Array.from({ length: 4 }, () => callAs(t, `/v1/agents/${agent.id}`, { method: "DELETE" }));
      const [patched, deleted] = await Promise.all([Promise.all(patches), Promise.all(deletes)]);
      expect(await statusCounts(deleted), `round ${round}`).toEqual({ 204: 1, 404: 3 });
      expect(await statusCounts(patched), `round ${round}`).toEqual({ 200: 4 });
      const after = AgentSchema.parse(await (await callAs(t, `/v1/agents/${agent.id}`)).json());
      expect(after.status).toBe("archived");
      // One PATCH won as a whole: its name with its own capability list, never a mix of two.
      const winner = Number(after.name.replace("patched ", ""));
      expect(after.capabilities.map((c) => c.ref)).toEqual(lists[winner]);
    }
  });

  it("eight PATCHes replacing the capability list at once leave exactly one of the lists", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    const lists = Array.from({ length: 8 }, (_, i) =>
      ["current_time", "test_math", "test_weather", "noop", "web_fetch"].slice(0, (i % 5) + 1).map((ref) => ({ ref, config: { i } })),
    );
    const responses = await Promise.all(
      lists.map((capabilities) => callAs(t, `/v1/agents/${agent.id}`, { method: "PATCH", json: { capabilities } })),
    );
    expect(await statusCounts(responses)).toEqual({ 200: 8 });
    const after = AgentSchema.parse(await (await callAs(t, `/v1/agents/${agent.id}`)).json());
    expect(lists).toContainEqual(after.capabilities);
  });
});

describe("races: one session under concurrent requests (externally visible consistency)", () => {
  it("PATCHes racing one DELETE: the session is gone everywhere afterwards, and every answer was 200, 204 or 404", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    for (let round = 0; round < 4; round += 1) {
      const session = await createSession(t, agent.id);
      const patches = Array.from({ length: 4 }, (_, i) =>
        callAs(t, `/v1/sessions/${session.id}`, { method: "PATCH", json: { title: `t${i}`, tags: [`tag${i}`] } }),
      );
      const [patched, deleted] = await Promise.all([Promise.all(patches), callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE" })]);
      expect(deleted.status).toBe(204);
      const counts = await statusCounts(patched);
      expect(
        Object.keys(counts).every((s) => s === "200" || s === "404"),
        JSON.stringify(counts),
      ).toBe(true);
      for (const res of patched.filter((r) => r.status === 404)) await expectProblem(res, 404, "session_not_found");
      await expectProblem(await callAs(t, `/v1/sessions/${session.id}`), 404, "session_not_found");
      await expectProblem(await callAs(t, `/v1/sessions/${session.id}/messages`), 404, "session_not_found");
      // The D1 index is written after the object answers: it must not bring the session back.
      await sleep(50);
      const listed = SessionPage.parse(await (await callAs(t, `/v1/agents/${agent.id}/sessions?limit=100`)).json());
      expect(listed.data.map((s) => s.id)).not.toContain(session.id);
    }
  });

  it("concurrent PATCHes of one session: the result is one of them, whole", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    const bodies = Array.from({ length: 6 }, (_, i) => ({ title: `title ${i}`, tags: [`tag ${i}`, `also ${i}`] }));
    const responses = await Promise.all(bodies.map((json) => callAs(t, `/v1/sessions/${session.id}`, { method: "PATCH", json })));
    expect(await statusCounts(responses)).toEqual({ 200: 6 });
    const after = await getSession(t, session.id);
    expect(bodies).toContainEqual({ title: after.title, tags: after.tags });
  });

  it("messages posted while the session is deleted: each is 201 or 404, and nothing of the session remains", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    for (let round = 0; round < 4; round += 1) {
      const session = await createSession(t, agent.id);
      const post = (n: number) =>
        callAs(t, `/v1/sessions/${session.id}/messages`, {
          method: "POST",
          json: { message: { role: "user", content: [{ type: "text", text: `racing ${n}` }] } },
        });
      const results = await Promise.all([
        post(1),
        post(2),
        callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE" }),
        post(3),
        post(4),
      ]);
      const deleted = results[2];
      expect(deleted?.status).toBe(204);
      for (const res of results.filter((r) => r !== deleted)) {
        expect([201, 404], await res.clone().text()).toContain(res.status);
        if (res.status === 404) await expectProblem(res, 404, "session_not_found");
        else await res.text();
      }
      await expectProblem(
        await callAs(t, `/v1/sessions/${session.id}/events`, { headers: { accept: "application/json" } }),
        404,
        "session_not_found",
      );
      await expectProblem(
        await callAs(t, `/v1/sessions/${session.id}/messages`, {
          method: "POST",
          json: { message: { role: "user", content: [{ type: "text", text: "late" }] } },
        }),
        404,
        "session_not_found",
      );
    }
  });

  it("concurrent cancels of one running turn: each answers cancelled or no_op, and the turn ends exactly once", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    await sendMessage(t, session.id, "tell me a long story about racing cancels and what they do");
    const responses = await together(5, () => callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST" }));
    for (const res of responses) {
      expect(res.status).toBe(200);
      expect(["cancelled", "no_op"]).toContain(((await res.json()) as { status: string }).status);
    }
    const events = await settledEvents(t, session.id);
    const turns = events.filter((e) => e.type === "turn.started").length;
    expect(turns).toBe(1);
    expect(events.filter((e) => TERMINAL.has(e.type))).toHaveLength(1);
    expect((await getSession(t, session.id)).status).toBe("idle");
    expect((await listMessages(t, session.id)).filter((m) => m.role === "user")).toHaveLength(1);
  });
});
