import { describe, expect, it } from "vitest";
import { agUiAgent, expectValidWire, parseFrames, run, say, type Wire } from "./support/ag-ui";
import { settledEvents } from "./support/events";
import { expectProblem } from "./support/problems";
import { callAs } from "./support/requests";
import { createAgent, createSession, listMessages } from "./support/resources";
import { sessionSetup } from "./support/sessions";
import { newTenant } from "./support/tenants";

describe("POST /v1/sessions/{id}/ag-ui with HttpAgent", () => {
  it("runs a plain turn: RUN_STARTED, one text message whose text is the stored reply, RUN_FINISHED success", async () => {
    const { t, session } = await sessionSetup();
    const wire: Wire = [];
    const agent = agUiAgent(t, session.id, wire);
    say(agent, "hello over AG-UI, please echo me");
    const { events, error, types } = await run(agent);
    expect(error).toBeNull();
    expect(types[0]).toBe("RUN_STARTED");
    expect(types.at(-1)).toBe("RUN_FINISHED");
    expect(types.filter((type) => type === "TEXT_MESSAGE_START")).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ threadId: session.id, outcome: { type: "success" } });
    expectValidWire(wire);

    const stored = (await listMessages(t, session.id)).filter((m) => m.role === "agent").at(-1);
    const text = stored?.content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");
    const reply = agent.messages.find((m) => m.role === "assistant");
    expect(reply).toMatchObject({ id: stored?.id, content: text });
  });

  it("runs a tool turn: TOOL_CALL_START/ARGS/END and TOOL_CALL_RESULT for a built-in tool", async () => {
    const { t, session } = await sessionSetup({ capabilities: ["test_math"] });
    const wire: Wire = [];
    const agent = agUiAgent(t, session.id, wire);
    say(agent, "what is 2 + 3");
    const { events, error, types } = await run(agent);
    expect(error).toBeNull();
    expect(types).toEqual(expect.arrayContaining(["TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END", "TOOL_CALL_RESULT"]));
    const start = events.find((e) => e.type === "TOOL_CALL_START") as unknown as { toolCallId: string; toolCallName: string };
    expect(start.toolCallName).toBe("add");
    const args = events.find((e) => e.type === "TOOL_CALL_ARGS") as unknown as { delta: string };
    expect(JSON.parse(args.delta)).toEqual({ a: 2, b: 3 });
    const stored = (await settledEvents(t, session.id, 1)).find((e) => e.type === "tool.result");
    const result = events.find((e) => e.type === "TOOL_CALL_RESULT") as unknown as { toolCallId: string; content: string };
    expect(result.toolCallId).toBe(start.toolCallId);
    expect(JSON.parse(result.content)).toEqual(stored?.data["result"]);
    expect(events.at(-1)).toMatchObject({ type: "RUN_FINISHED", outcome: { type: "success" } });
    expectValidWire(wire);
    expect(agent.messages.find((m) => m.role === "tool")).toMatchObject({ toolCallId: start.toolCallId });
  });

  it("ends a run at a frontend tool call with an interrupt, and a resume carrying the result finishes the turn", async () => {
    const { t, session } = await sessionSetup();
    const wire: Wire = [];
    const agent = agUiAgent(t, session.id, wire);
    const tools = [
      {
        name: "pick_color",
        description: "Ask the user for a color",
        parameters: { type: "object", properties: { hint: { type: "string" } } },
      },
    ];
    say(agent, 'call pick_color {"hint": "warm"}');
    const first = await run(agent, { tools });
    expect(first.error).toBeNull();
    const finished = first.events.at(-1) as unknown as {
      type: string;
      outcome: { type: string; interrupts: { id: string; reason: string; toolCallId: string }[] };
    };
    expect(finished.type).toBe("RUN_FINISHED");
    expect(finished.outcome.type).toBe("interrupt");
    const [interrupt] = finished.outcome.interrupts;
    expect(interrupt).toMatchObject({ reason: "tool_call", toolCallId: interrupt?.id });
    expect(agent.pendingInterrupts.map((i) => i.id)).toEqual([interrupt?.id]);
    // The run's tools are recorded on its message.
    const input = (await listMessages(t, session.id)).find((m) => m.role === "user");
    expect(input?.metadata).toMatchObject({ ag_ui: { tools: [expect.objectContaining({ name: "pick_color" })] } });

    const second = await run(agent, {
      tools,
      resume: [{ interruptId: interrupt?.id ?? "", status: "resolved", payload: { color: "orange" } }],
    });
    expect(second.error).toBeNull();
    expect(second.types[0]).toBe("RUN_STARTED");
    expect(second.types).not.toContain("TOOL_CALL_START");
    expect(second.events.find((e) => e.type === "TOOL_CALL_RESULT")).toMatchObject({
      toolCallId: interrupt?.id,
      content: JSON.stringify({ color: "orange" }),
    });
    expect(second.events.at(-1)).toMatchObject({ type: "RUN_FINISHED", outcome: { type: "success" } });
    expect(agent.pendingInterrupts).toEqual([]);
    expectValidWire(wire);
    const log = await settledEvents(t, session.id, 1);
    expect(log.filter((e) => e.type === "tool.result").map((e) => e.data["result"])).toEqual([{ color: "orange" }]);
    expect(log.filter((e) => e.type === "turn.completed")).toHaveLength(1);
  });

  it("ends a run at a call waiting for approval with an interrupt, and a resume approving it runs the tool", async () => {
    const t = await newTenant();
    const agentRow = await createAgent(t, { capabilities: [{ ref: "test_math", config: { require_approval: ["add"] } }] });
    const session = await createSession(t, agentRow.id);
    const wire: Wire = [];
    const agent = agUiAgent(t, session.id, wire);
    say(agent, "what is 2 + 3");
    const first = await run(agent);
    const finished = first.events.at(-1) as unknown as {
      outcome: { type: string; interrupts: { id: string; toolCallId: string; responseSchema: unknown; expiresAt: string }[] };
    };
    expect(finished.outcome.type).toBe("interrupt");
    const [interrupt] = finished.outcome.interrupts;
    expect(interrupt).toMatchObject({ reason: "tool_call", toolCallId: interrupt?.id, responseSchema: { required: ["approved"] } });
    expect(Date.parse(interrupt?.expiresAt ?? "")).toBeGreaterThan(Date.now());
    expect(first.types).toContain("TOOL_CALL_START");
    expect(first.types).not.toContain("TOOL_CALL_RESULT");

    // A payload that is not a decision is refused, and nothing is decided.
    const bad = await run(agent, { resume: [{ interruptId: interrupt?.id ?? "", status: "resolved", payload: { yes: 1 } }] });
    expect(bad.events.at(-1)).toMatchObject({ type: "RUN_ERROR", code: "invalid_resume_payload" });
    agent.pendingInterrupts = [interrupt as never];

    const second = await run(agent, { resume: [{ interruptId: interrupt?.id ?? "", status: "resolved", payload: { approved: true } }] });
    expect(second.error).toBeNull();
    expect(second.events.find((e) => e.type === "TOOL_CALL_RESULT")).toMatchObject({ toolCallId: interrupt?.id });
    expect(second.events.at(-1)).toMatchObject({ type: "RUN_FINISHED", outcome: { type: "success" } });
    expectValidWire(wire);
    const log = await settledEvents(t, session.id, 1);
    expect(log.filter((e) => e.type === "tool.approval_decided").map((e) => e.data["decision"])).toEqual(["allow"]);
  });

  it("refuses a resume that answers one interrupt twice with a 400, deciding nothing", async () => {
    const t = await newTenant();
    const agentRow = await createAgent(t, { capabilities: [{ ref: "test_math", config: { require_approval: ["add"] } }] });
    const session = await createSession(t, agentRow.id);
    const agent = agUiAgent(t, session.id, []);
    say(agent, "what is 2 + 3");
    const first = await run(agent);
    const [interrupt] = (first.events.at(-1) as unknown as { outcome: { interrupts: { id: string }[] } }).outcome.interrupts;
    const id = interrupt?.id ?? "";
    const res = await callAs(t, `/v1/sessions/${session.id}/ag-ui`, {
      method: "POST",
      json: {
        threadId: session.id,
        runId: "r2",
        messages: [],
        resume: [
          { interruptId: id, status: "resolved", payload: { approved: true } },
          { interruptId: id, status: "resolved", payload: { approved: false, reason: "changed my mind" } },
        ],
      },
    });
    await expectProblem(res, 400, "validation_failed", ["body.resume.1.interruptId"]);
    const log = await callAs(t, `/v1/sessions/${session.id}/events?after_sequence=0`, { headers: { accept: "application/json" } });
    const types = ((await log.json()) as { data: { type: string }[] }).data.map((e) => e.type);
    expect(types).toContain("tool.approval_requested");
    expect(types).not.toContain("tool.approval_decided");
  });

  it("ends a run whose resume names an unknown interrupt with RUN_ERROR", async () => {
    const { t, session } = await sessionSetup();
    const wire: Wire = [];
    const agent = agUiAgent(t, session.id, wire);
    const { events, types } = await run(agent, { resume: [{ interruptId: "call_unknown", status: "resolved", payload: 1 }] });
    expect(types).toEqual(["RUN_STARTED", "RUN_ERROR"]);
    expect(events.at(-1)).toMatchObject({ code: "unknown_interrupt" });
    expectValidWire(wire);
  });

  it("refuses new input while an interrupt is open with RUN_ERROR, storing nothing", async () => {
    const t = await newTenant();
    const agentRow = await createAgent(t);
    const session = await createSession(t, agentRow.id);
    const wire: Wire = [];
    const agent = agUiAgent(t, session.id, wire);
    const tools = [
      { name: "first_tool", description: "one", parameters: { type: "object", properties: {} } },
      { name: "second_tool", description: "two", parameters: { type: "object", properties: {} } },
    ];
    say(agent, "call first_tool {}");
    const first = await run(agent, { tools });
    expect(first.events.at(-1)).toMatchObject({ type: "RUN_FINISHED", outcome: { type: "interrupt" } });

    // Straight to the endpoint (HttpAgent itself refuses to send these).
    const base = {
      threadId: session.id,
      runId: "r2",
      messages: [{ id: "m2", role: "user", content: "another question" }],
      tools: [],
      context: [],
    };
    const blocked = await callAs(t, `/v1/sessions/${session.id}/ag-ui`, { method: "POST", json: base });
    expect(blocked.status).toBe(200);
    expect(parseFrames(await blocked.text())).toEqual([
      { type: "RUN_STARTED", threadId: session.id, runId: "r2" },
      expect.objectContaining({ type: "RUN_ERROR", code: "interrupts_pending" }),
    ]);
    expect((await listMessages(t, session.id)).filter((m) => m.role === "user")).toHaveLength(1);
  });

  it("runs one turn for a retried run: the same message id streams the same turn", async () => {
    const { t, session } = await sessionSetup();
    const input = { threadId: session.id, runId: "r1", messages: [{ id: "m-once", role: "user", content: "only once please" }] };
    const post = () =>
      callAs(t, `/v1/sessions/${session.id}/ag-ui`, { method: "POST", json: input }).then(async (res) => parseFrames(await res.text()));
    const [first, second] = await Promise.all([post(), post()]);
    expect(first.at(-1)).toMatchObject({ type: "RUN_FINISHED", outcome: { type: "success" } });
    const text = (frames: Record<string, unknown>[]) =>
      frames
        .filter((f) => f.type === "TEXT_MESSAGE_CONTENT")
        .map((f) => f["delta"])
        .join("");
    expect(text(second)).toBe(text(first));
    const log = await settledEvents(t, session.id, 1);
    expect(log.filter((e) => e.type === "turn.started")).toHaveLength(1);
    expect((await listMessages(t, session.id)).filter((m) => m.role === "user")).toHaveLength(1);
    const changed = await callAs(t, `/v1/sessions/${session.id}/ag-ui`, {
      method: "POST",
      json: { ...input, messages: [{ id: "m-once", role: "user", content: "something else" }] },
    });
    await expectProblem(changed, 422, "idempotency_key_reused", ["body.messages.0.id"]);
  });

  it("refuses a threadId other than the session, and another org's session, before streaming", async () => {
    const { t, session } = await sessionSetup();
    const body = { threadId: session.id, runId: "r1", messages: [{ id: "m1", role: "user", content: "hi" }] };
    await expectProblem(
      await callAs(t, `/v1/sessions/${session.id}/ag-ui`, { method: "POST", json: { ...body, threadId: "thread-1" } }),
      400,
      "validation_failed",
      ["body.threadId"],
    );
    await expectProblem(
      await callAs(t, `/v1/sessions/${session.id}/ag-ui`, { method: "POST", json: { ...body, messages: [] } }),
      400,
      "validation_failed",
      ["body.messages"],
    );
    const other = await newTenant();
    await expectProblem(await callAs(other, `/v1/sessions/${session.id}/ag-ui`, { method: "POST", json: body }), 404, "session_not_found");
  });

  it("names the field at fault when the run's input is too large: the context, or the input's own part", async () => {
    const { t, session } = await sessionSetup();
    const post = (over: Record<string, unknown>) =>
      callAs(t, `/v1/sessions/${session.id}/ag-ui`, {
        method: "POST",
        json: { threadId: session.id, runId: "r1", messages: [{ id: crypto.randomUUID(), role: "user", content: "hi" }], ...over },
      });
    const context = Array.from({ length: 20 }, (_, i) => ({ description: `entry ${i}`, value: "v".repeat(15_000) }));
    await expectProblem(await post({ context }), 400, "input_too_large", ["body.context"]);
    const parts = [
      { type: "text", text: "" },
      { type: "text", text: "w".repeat(300_000) },
    ];
    await expectProblem(await post({ messages: [{ id: crypto.randomUUID(), role: "user", content: parts }] }), 400, "input_too_large", [
      "body.messages.0.content.1.text",
    ]);
    expect(await listMessages(t, session.id)).toEqual([]);
  });

  it("refuses a frontend tool whose parameters are not a JSON Schema object, storing nothing, instead of dropping the run's tools", async () => {
    const { t, session } = await sessionSetup();
    const pick = { name: "pick_color", description: "Ask the user for a color", parameters: { type: "object", properties: {} } };
    for (const parameters of ["an object", [], 42]) {
      const res = await callAs(t, `/v1/sessions/${session.id}/ag-ui`, {
        method: "POST",
        json: {
          threadId: session.id,
          runId: "r1",
          messages: [{ id: crypto.randomUUID(), role: "user", content: "call pick_color" }],
          tools: [pick, { name: "other", description: "", parameters }],
        },
      });
      await expectProblem(res, 400, "validation_failed", ["body.tools.1.parameters"]);
    }
    expect(await listMessages(t, session.id)).toEqual([]);
  });
});
