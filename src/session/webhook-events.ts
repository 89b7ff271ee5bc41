import { newId } from "../lib/ids";
import { describeError, logLine } from "../lib/log";
import { sleep } from "../lib/sleep";
import { nowIso } from "../lib/time";
import { messageIdOf, type WebhookEventType, type WebhookQueue, type WebhookQueueMessage } from "../webhooks/messages";
import type { EventEnvelope } from "./events";
import type { SessionRecord } from "./session-record";

/** The waits before sending again when the queue refuses a send: about 10 s in all, then the events are given up. */
const SEND_RETRY_MS = [250, 1_000, 3_000, 6_000];

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
 * - the append that puts the session in `waitingfortoolresults` (it was not, or the append stores
 *   the new calls it waits on: client-side tools, or any other wait for a person) →
 *   `session.action_required`;
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
    // A wait begins in the append that stores the calls it waits on (their tool.call events), or
    // where the status turns to waiting; a status that changes without an append (results
    // arriving) is then not missed.
    const waitBegins = status === "waitingfortoolresults" && (this.#lastStatus !== status || envelopes.some((e) => e.type === "tool.call"));
    if (waitBegins && last) {
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
    const data = {
      organization_id: this.#record.orgId,
      session_id: this.#record.id,
      agent_id: this.#record.agentId,
      ...(turnId ? { turn_id: turnId } : {}),
    };
    return { kind: "event", message_id: messageIdOf(eventId), payload: { type, timestamp, data } };
  }

  #send(messages: WebhookQueueMessage[]): void {
    const queue = this.#host.queue;
    if (messages.length === 0 || !queue) return;
    this.#host.waitUntil(this.#sendWithRetries(queue, messages));
  }

  /** Sends, trying again after SEND_RETRY_MS when the queue refuses; gives up (and logs it) after the last. */
  async #sendWithRetries(queue: WebhookQueue, messages: WebhookQueueMessage[]): Promise<void> {
    const batch = messages.map((body) => ({ body }));
    for (let attempt = 0; ; attempt += 1) {
      try {
        await queue.sendBatch(batch);
        return;
      } catch (err) {
        const waitMs = SEND_RETRY_MS[attempt];
        if (waitMs === undefined) {
          logLine("error", {
            msg: "webhook events not queued",
            session_id: this.#record.id,
            types: messages.map((m) => m.payload.type),
            error: describeError(err),
          });
          return;
        }
        await sleep(waitMs);
      }
    }
  }
}
