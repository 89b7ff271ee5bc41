import { describe, expect, it } from "vitest";
import type { EventEnvelope, EventType } from "../../src/session/events";
import type { SessionRecord } from "../../src/session/session-record";
import { WebhookEvents } from "../../src/session/webhook-events";
import type { WebhookQueue, WebhookQueueMessage } from "../../src/webhooks/messages";

const RECORD = { id: "session_1", orgId: "org_1", agentId: "agent_1", status: "started" as const };

let sequence = 0;
function envelope(type: EventType, turnId: string | null = "turn_1", data: Record<string, unknown> = {}): EventEnvelope {
  sequence += 1;
  const hex = sequence.toString(16).padStart(32, "0");
  return {
    id: `event_${hex}`,
    type,
    ts: new Date().toISOString(),
    session_id: RECORD.id,
    sequence,
    context: { turn_id: turnId, input_message_id: null },
    data,
  };
}

/** A queue binding that records what it was sent, refusing the first `refusals` sends. */
function recordingQueue(refusals = 0) {
  const sent: WebhookQueueMessage[][] = [];
  let calls = 0;
  const queue = {
    sendBatch: async (batch: Iterable<MessageSendRequest<WebhookQueueMessage>>) => {
      calls += 1;
      if (calls <= refusals) throw new Error("queue unavailable");
      sent.push([...batch].map((m) => m.body));
    },
  } as unknown as WebhookQueue;
  return { queue, sent, calls: () => calls };
}

function setup(refusals = 0) {
  const q = recordingQueue(refusals);
  const pending: Promise<unknown>[] = [];
  let status: SessionRecord["status"] = "started";
  const events = new WebhookEvents({ queue: q.queue, waitUntil: (p) => void pending.push(p), status: () => status }, RECORD);
  return {
    events,
    setStatus: (s: SessionRecord["status"]) => (status = s),
    settled: () => Promise.all(pending),
    types: () => q.sent.flat().map((m) => m.payload.type),
    q,
  };
}

describe("the session's webhook events", () => {
  it("maps transitions once each: settling, a failed turn, and entering waitingfortoolresults", async () => {
    const s = setup();
    s.setStatus("active");
    s.events.observe([envelope("message.created", null), envelope("turn.started")]);
    s.events.observe([envelope("message.delta")]);
    s.setStatus("waitingfortoolresults");
    const call = envelope("tool.call", "turn_1", { executor: "client" });
    s.events.observe([call]);
    // Still waiting: a later append (a queued message) is no new transition.
    s.events.observe([envelope("message.created", null)]);
    s.setStatus("active"); // the results came (no append)
    s.setStatus("waitingfortoolresults");
    s.events.observe([envelope("tool.call", "turn_1", { executor: "client" })]);
    s.setStatus("idle");
    s.events.observe([envelope("turn.failed"), envelope("session.completed")]);
    await s.settled();
    expect(s.types()).toEqual(["session.action_required", "session.action_required", "turn.failed", "session.idle"]);
    const first = s.q.sent[0]?.[0];
    expect(first).toEqual({
      kind: "event",
      message_id: `msg_${call.id.slice("event_".length)}`,
      payload: {
        type: "session.action_required",
        timestamp: call.ts,
        data: { organization_id: "org_1", session_id: "session_1", agent_id: "agent_1", turn_id: "turn_1" },
      },
    });
  });

  it("sends session.deleted once, and nothing of what the delete's stop of a turn writes", async () => {
    const s = setup();
    s.events.deleted();
    s.events.deleted();
    s.setStatus("idle");
    s.events.observe([envelope("turn.cancelled"), envelope("session.completed")]);
    await s.settled();
    expect(s.types()).toEqual(["session.deleted"]);
    expect(s.q.sent[0]?.[0]?.payload.data).toEqual({ organization_id: "org_1", session_id: "session_1", agent_id: "agent_1" });
  });

  it("sends again when the queue refuses, and gives up after its last try", async () => {
    const flaky = setup(2);
    flaky.setStatus("idle");
    flaky.events.observe([envelope("session.completed")]);
    await flaky.settled();
    expect(flaky.q.calls()).toBe(3);
    expect(flaky.types()).toEqual(["session.idle"]);
  }, 10_000);
});
