import { describeError, logLine } from "../lib/log";
import { newId } from "../lib/ids";
import { nowIso } from "../lib/time";
import { messageIdOf, type WebhookEventType, type WebhookQueue, type WebhookQueueMessage } from "../webhooks/messages";
import type { EventEnvelope } from "./events";
import type { SessionRecord } from "./session-record";

/** What the session's webhook events need: where to send, and how to keep a send alive without waiting for it. */
export interface WebhookEventsHost {
  queue: WebhookQueue | undefined;
  waitUntil: (promise: Promise<unknown>) => void;
  /** The session's status now (after the append being observed). */
  status: () => SessionRecord["status"] | undefined;
}

/**
 * Turns the session's transitions into webhook events on the queue (src/webhooks/consumer.ts
 * fans them out to the org's endpoints). Fed with every committed append, after its transaction:
 * - `session.completed` (the session settled) → `session.idle`;
 * - `turn.failed` → `turn.failed`;
 * - the append after which the session is `waitingfortoolresults` and before which it was not
 *   (client-side tool calls, or any other wait for a person) → `session.action_required`;
 * and by the delete, once, → `session.deleted`.
 * A send is never awaited: a turn does not wait for the queue. Each event's `webhook-id` comes from
 * the stored event that made it, so the same transition always carries the same id.
 */
export class WebhookEvents {
  readonly #host: WebhookEventsHost;
  readonly #record: Pick<SessionRecord, "id" | "orgId" | "agentId">;
  #lastStatus: SessionRecord["status"] | undefined;
  #deleted = false;

  constructor(host: WebhookEventsHost, record: Pick<SessionRecord, "id" | "orgId" | "agentId" | "status">) {
    this.#host = host;
    this.#record = record;
    this.#lastStatus = record.status;
  }

  /** Called with every group of events the log delivered (live deltas too, which are skipped). */
  observe(envelopes: readonly EventEnvelope[]): void {
    // What a delete's stop of the running turn writes is not a transition anyone is told about.
    if (this.#deleted || envelopes.every((e) => e.type === "message.delta")) return;
    const out: WebhookQueueMessage[] = [];
    const status = this.#host.status();
    const last = envelopes[envelopes.length - 1];
    if (status === "waitingfortoolresults" && this.#lastStatus !== status && last) {
      out.push(this.#event("session.action_required", last.id, last.ts, last.context.turn_id));
    }
    this.#lastStatus = status;
    for (const e of envelopes) {
      if (e.type === "turn.failed") out.push(this.#event("turn.failed", e.id, e.ts, e.context.turn_id));
      else if (e.type === "session.completed") out.push(this.#event("session.idle", e.id, e.ts, e.context.turn_id));
    }
    this.#send(out);
  }

  /** The session was deleted (called once, after its tombstone is written). */
  deleted(): void {
    if (this.#deleted) return;
    this.#deleted = true;
    this.#send([this.#event("session.deleted", newId("event"), nowIso(), null)]);
  }

  #event(type: WebhookEventType, eventId: string, timestamp: string, turnId: string | null): WebhookQueueMessage {
    const data = { organization_id: this.#record.orgId, session_id: this.#record.id, agent_id: this.#record.agentId, ...(turnId ? { turn_id: turnId } : {}) };
    return { kind: "event", message_id: messageIdOf(eventId), payload: { type, timestamp, data } };
  }

  #send(messages: WebhookQueueMessage[]): void {
    const queue = this.#host.queue;
    if (messages.length === 0 || !queue) return;
    const sent = queue.sendBatch(messages.map((body) => ({ body }))).catch((err: unknown) => {
      logLine("error", { msg: "webhook events not queued", session_id: this.#record.id, types: messages.map((m) => m.payload.type), error: describeError(err) });
    });
    this.#host.waitUntil(sent);
  }
}
