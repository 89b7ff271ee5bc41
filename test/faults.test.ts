import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { sessionStub } from "../src/services/session-client";
import { EventLog } from "../src/session/event-log";
import type { EventDraft } from "../src/session/events";
import { capturedLogsWithoutKey } from "./support/console";
import { listEvents, settledEvents, TERMINAL } from "./support/events";
import { expectProblem } from "./support/problems";
import { callAs } from "./support/requests";
import { getSession, listMessages, sendMessage } from "./support/resources";
import { sessionSetup } from "./support/sessions";

/** Makes the log's next append whose drafts match `which` throw, as a storage write that fails would. */
function failNextAppend(which: (drafts: EventDraft[]) => boolean): void {
  const append = EventLog.prototype.append;
  let failed = false;
  vi.spyOn(EventLog.prototype, "append").mockImplementation(function (this: EventLog, drafts, alsoWrite) {
    if (!failed && which(drafts)) {
      failed = true;
      throw new Error("storage write failed");
    }
    return append.call(this, drafts, alsoWrite);
  });
}

const has = (type: string) => (drafts: EventDraft[]) => drafts.some((d) => d.type === type);

describe("faults on the session's write paths", () => {
  capturedLogsWithoutKey();

  it("refuses a post whose message cannot be stored with a 500, leaving nothing half-written, and the session works on", async () => {
    const { t, session } = await sessionSetup();
    failNextAppend(has("message.created"));
    await expectProblem(
      await callAs(t, `/v1/sessions/${session.id}/messages`, {
        method: "POST",
        json: { message: { role: "user", content: [{ type: "text", text: "lost" }] } },
      }),
      500,
      "internal_error",
    );
    expect(await listEvents(t, session.id)).toEqual([]);
    expect(await listMessages(t, session.id)).toEqual([]);
    expect((await getSession(t, session.id)).status).toBe("started");
    vi.restoreAllMocks();
    await sendMessage(t, session.id, "kept");
    const events = await settledEvents(t, session.id);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
  });

  it("ends a turn whose tool call cannot be stored with exactly one turn.failed, and the session goes idle", async () => {
    const { t, session } = await sessionSetup({ capabilities: ["current_time"] });
    failNextAppend(has("tool.call"));
    await sendMessage(t, session.id, "what time is it");
    const events = await settledEvents(t, session.id);
    expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => [e.type, e.data.error_code])).toEqual([["turn.failed", "internal_error"]]);
    expect((await getSession(t, session.id)).status).toBe("idle");
    vi.restoreAllMocks();
    await sendMessage(t, session.id, "what time is it");
    const after = await settledEvents(t, session.id);
    expect(after.filter((e) => TERMINAL.has(e.type)).at(-1)?.type).toBe("turn.completed");
  });

  it("keeps an input whose turn could not start queued, and starts it once storage takes the write: the watchdog retries", async () => {
    const { t, session } = await sessionSetup();
    failNextAppend(has("turn.started"));
    const posted = await sendMessage(t, session.id, "start me");
    await new Promise((r) => setTimeout(r, 100));
    // The message is stored and answered; its turn never began, so nothing of a turn was written.
    expect((await listEvents(t, session.id)).map((e) => e.type)).toEqual(["message.created"]);
    vi.restoreAllMocks();
    await runDurableObjectAlarm(sessionStub(env, session.id));
    const events = await settledEvents(t, session.id);
    expect(events.filter((e) => e.type === "turn.started").map((e) => e.data.input_message_id)).toEqual([posted.id]);
    expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed"]);
    expect((await getSession(t, session.id)).status).toBe("idle");
  });

  it("writes the end of a turn once storage takes it again: the watchdog retries, and there is one terminal event", async () => {
    const { t, session } = await sessionSetup();
    failNextAppend(has("turn.completed"));
    await sendMessage(t, session.id, "end me");
    for (let i = 0; i < 100 && (await getSession(t, session.id)).status !== "active"; i += 1) await new Promise((r) => setTimeout(r, 10));
    // The turn's work is done but its end was refused: the session stays active, recorded, with its outcome kept.
    await new Promise((r) => setTimeout(r, 200));
    expect((await listEvents(t, session.id)).some((e) => TERMINAL.has(e.type))).toBe(false);
    expect((await getSession(t, session.id)).status).toBe("active");
    await runDurableObjectAlarm(sessionStub(env, session.id));
    const events = await settledEvents(t, session.id);
    expect(events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type)).toEqual(["turn.completed"]);
    expect((await getSession(t, session.id)).status).toBe("idle");
  });
});
