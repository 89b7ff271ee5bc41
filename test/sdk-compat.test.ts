import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BUILTIN_HARNESS_ID } from "../src/harness/builtin";
import { AgentSchema } from "../src/schemas/agents";
import { HarnessSchema } from "../src/schemas/harnesses";
import { SessionSchema } from "../src/schemas/sessions";
import { sessionStub } from "../src/services/session-client";
import { deltaIdKey, newDeltaId } from "../src/session/delta-ids";
import type { EventEnvelope } from "../src/session/rpc";
import { isEnd, listEvents, settledEvents, stored } from "./support/events";
import { expectProblem } from "./support/problems";
import { callAs } from "./support/requests";
import { createAgent, createSession, sendMessage } from "./support/resources";
import { sessionSetup, turnSetup } from "./support/sessions";
import { openStream, SseReader } from "./support/sse-reader";

/** Opens the stream with `query`, reads up to the stored event `last`, and returns what it got. */
async function resumeFrom(t: Parameters<typeof openStream>[0], sessionId: string, query: string, last: number): Promise<EventEnvelope[]> {
  const reader = new SseReader(await openStream(t, sessionId, query));
  const events = await reader.collectUntil((e) => e.type !== "message.delta" && e.sequence === last);
  await reader.cancel();
  return events;
}

describe("resume from any cursor the server handed out", () => {
  it("resumes from every id of a turn, a delta's included (after the stored event it follows), and by after_sequence", async () => {
    const { t, session, reader } = await turnSetup();
    await sendMessage(t, session.id, "a reply long enough to stream over several deltas ".repeat(3));
    const turn = await reader.collectUntil(isEnd);
    await reader.cancel();
    const deltas = turn.filter((e) => e.type === "message.delta");
    expect(deltas.length).toBeGreaterThan(0);
    // One more turn, so every cursor has something after it to resume into.
    await sendMessage(t, session.id, "next");
    const log = await settledEvents(t, session.id);
    for (const handedOut of turn) {
      const got = stored(await resumeFrom(t, session.id, `?since_id=${handedOut.id}`, log.length));
      expect(got[0]?.sequence, `${handedOut.type} ${handedOut.id}`).toBe(handedOut.sequence + 1);
      expect(got.map((e) => e.sequence)).toEqual(log.filter((e) => e.sequence > handedOut.sequence).map((e) => e.sequence));
      const page = await listEvents(t, session.id, `?since_id=${handedOut.id}`);
      expect(page[0]?.sequence).toBe(handedOut.sequence + 1);
    }
    for (const after of [0, 3, log.length - 1]) {
      const got = stored(await resumeFrom(t, session.id, `?after_sequence=${after}`, log.length));
      expect(got[0]?.sequence).toBe(after + 1);
      expect((await listEvents(t, session.id, `?after_sequence=${after}`))[0]?.sequence).toBe(after + 1);
    }
  });

  it("refuses since_id with after_sequence, and a sequence or id the session never handed out, the same way on the stream and the JSON list", async () => {
    const { t, session } = await sessionSetup();
    await sendMessage(t, session.id, "hello");
    const log = await settledEvents(t, session.id);
    const other = await sessionSetup();
    await sendMessage(other.t, other.session.id, "elsewhere");
    const foreign = (await settledEvents(other.t, other.session.id))[0]?.id ?? "";
    // A delta id carries its sequence; one made for another session, or past the head, names nothing here.
    const foreignDelta = newDeltaId(other.session.id, 1);
    const key = await runInDurableObject(sessionStub(env, session.id), (_instance, state) => deltaIdKey(state.storage));
    const pastHead = newDeltaId(key, log.length + 1);
    for (const accept of ["text/event-stream", "application/json"]) {
      const get = (query: string, headers: Record<string, string> = {}) =>
        callAs(t, `/v1/sessions/${session.id}/events${query}`, { headers: { accept, ...headers } });
      await expectProblem(await get(`?since_id=${log[0]?.id}&after_sequence=1`), 400, "validation_failed", ["query.after_sequence"]);
      await expectProblem(await get(`?after_sequence=${log.length + 5}`), 400, "invalid_cursor", ["query.after_sequence"]);
      // A sequence is written in digits: an exponent, hex, a sign or a fraction is not read as a number.
      for (const written of ["1e0", "0x1", "+1", "1.5", "-1", "99999999999999999999"])
        await expectProblem(await get(`?after_sequence=${written}`), 400, "validation_failed", ["query.after_sequence"]);
      for (const written of ["0", "2e1"])
        await expectProblem(await get(`?before_sequence=${written}`), 400, "validation_failed", ["query.before_sequence"]);
      await expectProblem(await get(`?since_id=${foreign}`), 400, "invalid_cursor", ["query.since_id"]);
      await expectProblem(await get(`?since_id=${foreignDelta}`), 400, "invalid_cursor", ["query.since_id"]);
      await expectProblem(await get(`?since_id=${pastHead}`), 400, "invalid_cursor", ["query.since_id"]);
      await expectProblem(await get("", { "last-event-id": foreign }), 400, "invalid_cursor", ["header.last-event-id"]);
      await expectProblem(await get("", { "last-event-id": "garbage" }), 400, "invalid_cursor", ["header.last-event-id"]);
    }
    // Last-Event-ID means the same on the JSON list as on the stream.
    expect((await listEvents(t, session.id, "?limit=1000")).length).toBe(log.length);
    const res = await callAs(t, `/v1/sessions/${session.id}/events`, {
      headers: { accept: "application/json", "last-event-id": log[2]?.id ?? "" },
    });
    expect(((await res.json()) as { data: EventEnvelope[] }).data[0]?.sequence).toBe(4);
  });
});

describe("filters take the upstream Everruns names", () => {
  it("maps output.message.delta, input.message, output.message.completed and session.idled, and lets never-emitted names match nothing", async () => {
    const { t, session } = await sessionSetup();
    const streams = {
      noDeltas: new SseReader(await openStream(t, session.id, "?exclude=output.message.delta")),
      messages: new SseReader(await openStream(t, session.id, "?types=input.message&types=output.message.completed&types=session.idled")),
      thinking: new SseReader(await openStream(t, session.id, "?types=reason.thinking.delta&types=session.completed")),
    };
    await sendMessage(t, session.id, "hello there");
    const noDeltas = await streams.noDeltas.collectUntil(isEnd);
    expect(noDeltas.some((e) => e.type === "message.delta")).toBe(false);
    const messages = await streams.messages.collectUntil(isEnd);
    expect(messages.map((e) => [e.type, (e.data.message as { role?: string } | undefined)?.role ?? null])).toEqual([
      ["message.created", "user"],
      ["message.created", "agent"],
      ["session.completed", null],
    ]);
    expect((await streams.thinking.collectUntil(isEnd)).map((e) => e.type)).toEqual(["session.completed"]);
    for (const reader of Object.values(streams)) await reader.cancel();
    expect(await listEvents(t, session.id, "?types=reason.thinking.delta")).toEqual([]);
    expect((await listEvents(t, session.id, "?types=output.message.completed")).map((e) => e.type)).toEqual(["message.created"]);
    expect((await listEvents(t, session.id, "?types=task.created")).length).toBe(0);
    await expectProblem(await callAs(t, `/v1/sessions/${session.id}/sse?types=output.nonsense`), 400, "validation_failed", [
      "query.types.0",
    ]);
  });
});

describe("GET …/events answers JSON clients with JSON", () => {
  it("sends the JSON list to a request that declares itself JSON, and the stream to curl, EventSource and Accept: text/event-stream", async () => {
    const { t, session } = await sessionSetup();
    await sendMessage(t, session.id, "hello");
    await settledEvents(t, session.id);
    const get = (headers: Record<string, string>) => callAs(t, `/v1/sessions/${session.id}/events`, { headers });
    // The official SDKs: Content-Type: application/json and no Accept (so */*).
    const json: Record<string, string>[] = [
      { "content-type": "application/json" },
      { "content-type": "application/json", accept: "*/*" },
      { accept: "application/json" },
    ];
    for (const headers of json) {
      const res = await get(headers);
      expect(res.headers.get("content-type"), JSON.stringify(headers)).toContain("application/json");
      expect(((await res.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
    }
    const streams: Record<string, string>[] = [
      {},
      { accept: "*/*" },
      { accept: "text/event-stream" },
      { "content-type": "application/json", accept: "text/event-stream" },
    ];
    for (const headers of streams) {
      const res = await get(headers);
      expect(res.headers.get("content-type"), JSON.stringify(headers)).toBe("text/event-stream; charset=utf-8");
      await res.body?.cancel();
    }
  });
});

describe("fields the SDKs require", () => {
  it("gives sessions organization_id and harness_id, agents harness_id, and serves the built-in harness", async () => {
    const { t, session } = await sessionSetup();
    expect(session).toMatchObject({ organization_id: t.orgId, harness_id: BUILTIN_HARNESS_ID });
    const agent = AgentSchema.parse(await (await callAs(t, `/v1/agents/${session.agent_id}`)).json());
    expect(agent.harness_id).toBe(BUILTIN_HARNESS_ID);
    const list = (await (await callAs(t, "/v1/harnesses")).json()) as { data: unknown[] };
    expect(list.data.map((h) => HarnessSchema.parse(h).id)).toEqual([BUILTIN_HARNESS_ID]);
    expect(HarnessSchema.parse(await (await callAs(t, `/v1/harnesses/${BUILTIN_HARNESS_ID}`)).json())).toMatchObject({
      name: "generic",
      max_iterations: 25,
    });
    expect(((await (await callAs(t, "/v1/harnesses?search=nothing-like-it")).json()) as { data: unknown[] }).data).toEqual([]);
    await expectProblem(await callAs(t, `/v1/harnesses/harness_${"0".repeat(31)}2`), 404, "harness_not_found");
  });

  it("accepts the SDKs' create fields: harness by id or name, capabilities, model_id, locale, tools, model; refuses what it cannot honour", async () => {
    const { t } = await sessionSetup();
    const agent = await createAgent(t, { harness_name: "generic", tools: [], initial_files: [], capabilities: [{ ref: "current_time" }] });
    const session = await createSession(t, agent.id, {
      harness_id: BUILTIN_HARNESS_ID,
      capabilities: [{ ref: "test_math" }],
      locale: "fr-CA",
      tags: [],
      tools: [],
    });
    expect(session).toMatchObject({ locale: "fr-CA", capabilities: [{ ref: "test_math", config: {} }] });
    const flat = await callAs(t, "/v1/sessions", { method: "POST", json: { agent_name: agent.name, title: "by name" } });
    expect(SessionSchema.parse(await flat.json()).agent_id).toBe(agent.id);
    // The session's capability is offered to the model with the agent's: llmsim adds numbers only if test_math is on.
    await sendMessage(t, session.id, "what is 2 + 3");
    expect(
      (await settledEvents(t, session.id)).some((e) => e.type === "tool.call" && (e.data.tool_call as { name: string }).name === "add"),
    ).toBe(true);

    await expectProblem(
      await callAs(t, `/v1/agents/${agent.id}/sessions`, { method: "POST", json: { harness_id: `harness_${"0".repeat(31)}9` } }),
      422,
      "unknown_harness",
      ["body.harness_id"],
    );
    await expectProblem(
      await callAs(t, "/v1/agents", { method: "POST", json: { name: "x", system_prompt: "y", harness_name: "coder" } }),
      422,
      "unknown_harness",
      ["body.harness_name"],
    );
    await expectProblem(
      await callAs(t, `/v1/agents/${agent.id}/sessions`, { method: "POST", json: { initial_files: [{ path: "/a", content: "b" }] } }),
      422,
      "unsupported_feature",
      ["body.initial_files"],
    );
    await expectProblem(
      await callAs(t, `/v1/agents/${agent.id}/sessions`, { method: "POST", json: { capabilities: ["teleport"] } }),
      422,
      "unknown_capability",
      ["body.capabilities.0"],
    );
    await expectProblem(
      await callAs(t, `/v1/agents/${agent.id}/sessions`, { method: "POST", json: { locale: "not a locale" } }),
      400,
      "validation_failed",
      ["body.locale"],
    );
    await expectProblem(await callAs(t, "/v1/sessions", { method: "POST", json: {} }), 400, "validation_failed", ["body.agent_id"]);
    await expectProblem(
      await callAs(t, "/v1/agents", { method: "POST", json: { name: "x", system_prompt: "y", model: `model_${"0".repeat(32)}` } }),
      422,
      "unknown_model",
      ["body.model"],
    );
  });
});

describe("list parameters the SDKs send are honoured or refused, never silently ignored", () => {
  it("filters the event list by turn, orders it newest first, and refuses upstream filters it lacks", async () => {
    const { t, session } = await sessionSetup();
    await sendMessage(t, session.id, "one");
    await settledEvents(t, session.id);
    await sendMessage(t, session.id, "two");
    const log = await settledEvents(t, session.id);
    const secondTurn = log.filter((e) => e.type === "turn.started").at(-1)?.context.turn_id;
    const ofTurn = await listEvents(t, session.id, `?turn_id=${secondTurn}`);
    expect(ofTurn.length).toBeGreaterThan(0);
    expect(ofTurn.every((e) => e.context.turn_id === secondTurn)).toBe(true);
    expect((await listEvents(t, session.id, "?order_desc=true")).map((e) => e.sequence)).toEqual(log.map((e) => e.sequence).reverse());
    for (const name of ["q", "tags", "from_ts", "tool_name"]) {
      await expectProblem(
        await callAs(t, `/v1/sessions/${session.id}/events?${name}=x`, { headers: { accept: "application/json" } }),
        400,
        "validation_failed",
        [`query.${name}`],
      );
    }
  });

  it("searches agents by name, sessions by title, and capabilities, and pages capabilities with a total", async () => {
    const { t } = await sessionSetup();
    const agent = await createAgent(t, { name: "Invoice Helper" });
    await createSession(t, agent.id, { title: "Quarterly close" });
    await createSession(t, agent.id, { title: "Something else" });
    const agents = (await (await callAs(t, "/v1/agents?search=invoice")).json()) as { data: { id: string }[]; total: number };
    expect(agents.data.map((a) => a.id)).toEqual([agent.id]);
    const sessions = (await (await callAs(t, "/v1/sessions?search=QUARTER")).json()) as { data: { title: string }[]; total: number };
    expect(sessions.data.map((s) => s.title)).toEqual(["Quarterly close"]);
    const nested = (await (await callAs(t, `/v1/agents/${agent.id}/sessions?search=else`)).json()) as { total: number };
    expect(nested.total).toBe(1);
    const caps = (await (await callAs(t, "/v1/capabilities?search=math")).json()) as {
      data: { id: string }[];
      total: number;
      offset: number;
      limit: number;
    };
    expect(caps).toMatchObject({ data: [{ id: "test_math" }], total: 1, offset: 0, limit: 20 });
    const page = (await (await callAs(t, "/v1/capabilities?limit=2&offset=1")).json()) as { data: unknown[]; total: number };
    expect(page.data).toHaveLength(2);
    expect(page.total).toBeGreaterThan(2);
  });
});
