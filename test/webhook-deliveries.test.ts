import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { webhooks } from "../src/db/schema";
import { WebhookSchema } from "../src/schemas/webhooks";
import { FAILING_REASON } from "../src/webhooks/delivery-log";
import { sleep } from "./support/async";
import { settledEvents } from "./support/events";
import { fakeModel, scenarioBase } from "./support/models";
import { expectProblem } from "./support/problems";
import type { RecordedDelivery } from "./support/recorded-delivery";
import { callAs } from "./support/requests";
import { createAgent, createSession, sendMessage } from "./support/resources";
import { newTenant, type Tenant } from "./support/tenants";
import { createReceiverWebhook, deliveries, payload, postToReceiver, received, receivedUntil } from "./support/webhooks";

const LOOKUP = {
  type: "client_side",
  name: "lookup_order",
  description: "Look an order up in the client's system",
  parameters: { type: "object", properties: { id: { type: "number" } }, required: ["id"] },
};

/** Words that must never leave in a webhook body: what the user wrote and what the tool answered. */
const PRIVATE_TEXT = "zebra-quartz-private-words";

/** Long enough for a second, wrong delivery of the same transition to have arrived. */
const SETTLE_MS = 400;

const types = (got: RecordedDelivery[]) => got.map((d) => payload(d).type);

/** Every delivery passes `Webhook.verify` with the endpoint's secret, and its body is the thin one with nothing private. */
function expectThinAndVerified(got: RecordedDelivery[], secret: string, ids: { orgId: string; sessionId: string; agentId: string }) {
  for (const d of got) {
    expect(d.verified, d.body).toEqual([true]);
    const body = payload(d);
    expect(Object.keys(body).sort()).toEqual(["data", "timestamp", "type"]);
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const { turn_id, ...rest } = body.data;
    expect(rest).toEqual({ organization_id: ids.orgId, session_id: ids.sessionId, agent_id: ids.agentId });
    if (turn_id !== undefined) expect(turn_id).toMatch(/^turn_[0-9a-f]{32}$/);
    expect(d.body).not.toContain(PRIVATE_TEXT);
    expect(d.body).not.toContain(secret);
    expect(d.body).not.toContain(secret.slice(6));
    expect(d.headers["webhook-id"]).toMatch(/^msg_[0-9a-f]{32}$/);
  }
}

async function waitForStatus(t: Tenant, sessionId: string, status: string) {
  for (let i = 0; i < 400; i += 1) {
    const res = await callAs(t, `/v1/sessions/${sessionId}`);
    const body = (await res.json()) as { status: string };
    if (body.status === status) return;
    await sleep(25);
  }
  throw new Error(`the session never became ${status}`);
}

describe("webhook deliveries", () => {
  it("sends one verified, thin delivery per transition: action_required then idle over a client tool turn, turn.failed then idle for a failing turn", async () => {
    const t = await newTenant();
    const hook = await createReceiverWebhook(t);
    const agent = await createAgent(t, { tools: [LOOKUP] });
    const session = await createSession(t, agent.id);

    await sendMessage(t, session.id, `call lookup_order {"id": 42} ${PRIVATE_TEXT}`);
    await waitForStatus(t, session.id, "waitingfortoolresults");
    const waiting = await receivedUntil(hook.name, (d) => d.length >= 1);
    expect(types(waiting)).toEqual(["session.action_required"]);
    const events = await callAs(t, `/v1/sessions/${session.id}/events`, { headers: { accept: "application/json" } });
    const call = ((await events.json()) as { data: { type: string; context: { turn_id: string } }[] }).data.find(
      (e) => e.type === "tool.call",
    );
    expect(payload(waiting[0] as RecordedDelivery).data.turn_id).toBe(call?.context.turn_id);

    const results = await callAs(t, `/v1/sessions/${session.id}/tool-results`, {
      method: "POST",
      json: { tool_results: [{ tool_call_id: "call_1", result: { note: PRIVATE_TEXT } }] },
    });
    expect(results.status).toBe(200);
    await results.body?.cancel();
    await settledEvents(t, session.id, 1);
    await receivedUntil(hook.name, (d) => d.length >= 2);
    await sleep(SETTLE_MS);
    const afterTool = await received(hook.name);
    expect(types(afterTool)).toEqual(["session.action_required", "session.idle"]);

    // A failing turn on the same session: turn.failed, then the session settles again.
    const failing = await fakeModel(t, "openai", scenarioBase("openai", "stream_error"));
    await sendMessage(t, session.id, `once more ${PRIVATE_TEXT}`, { controls: { model_id: failing } });
    await settledEvents(t, session.id, 2);
    await receivedUntil(hook.name, (d) => d.length >= 4);
    await sleep(SETTLE_MS);
    const all = await received(hook.name);
    expect(types(all)).toEqual(["session.action_required", "session.idle", "turn.failed", "session.idle"]);
    expect(new Set(all.map((d) => d.headers["webhook-id"])).size).toBe(4);
    expectThinAndVerified(all, hook.webhook.secret, { orgId: t.orgId, sessionId: session.id, agentId: agent.id });
    const [, , failed, idle] = all.map(payload);
    expect(failed?.data.turn_id).toBe(idle?.data.turn_id);

    // Every attempt is in the log, succeeded, newest first.
    const log = await deliveries(t, hook.webhook.id);
    expect(log.data.map((d) => [d.event_type, d.status, d.attempt, d.response_status])).toEqual([
      ["session.idle", "succeeded", 1, 204],
      ["turn.failed", "succeeded", 1, 204],
      ["session.idle", "succeeded", 1, 204],
      ["session.action_required", "succeeded", 1, 204],
    ]);
  });

  it("delivers only the event types an endpoint subscribes to, and only the org's own sessions", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const onlyFailed = await createReceiverWebhook(t, { eventTypes: ["turn.failed"] });
    const othersHook = await createReceiverWebhook(other);
    const agent = await createAgent(t);
    const session = await createSession(t, agent.id);
    await sendMessage(t, session.id, "hello");
    await settledEvents(t, session.id, 1);
    const failing = await fakeModel(t, "openai", scenarioBase("openai", "stream_error"));
    await sendMessage(t, session.id, "again", { controls: { model_id: failing } });
    await settledEvents(t, session.id, 2);
    await receivedUntil(onlyFailed.name, (d) => d.length >= 1);
    await sleep(SETTLE_MS);
    expect(types(await received(onlyFailed.name))).toEqual(["turn.failed"]);
    expect(await received(othersHook.name)).toEqual([]);
  });

  it("retries a receiver that answers 500 twice: the third attempt carries the same webhook-id and body, and the log shows all three", async () => {
    const t = await newTenant();
    const hook = await createReceiverWebhook(t, { query: "fail=2", eventTypes: ["session.idle"] });
    const agent = await createAgent(t);
    const session = await createSession(t, agent.id);
    await sendMessage(t, session.id, "hello");
    const got = await receivedUntil(hook.name, (d) => d.some((x) => x.status === 204));
    await sleep(SETTLE_MS);
    const all = await received(hook.name);
    expect(all.map((d) => d.status)).toEqual([500, 500, 204]);
    expect(new Set(all.map((d) => d.headers["webhook-id"])).size).toBe(1);
    expect(new Set(all.map((d) => d.body)).size).toBe(1);
    for (const d of all) expect(d.verified).toEqual([true]);
    expect(got.length).toBeGreaterThanOrEqual(3);

    const log = await deliveries(t, hook.webhook.id);
    const messageId = all[0]?.headers["webhook-id"];
    expect(log.data.map((d) => [d.attempt, d.status, d.response_status, d.error, d.message_id])).toEqual([
      [3, "succeeded", 204, null, messageId],
      [2, "failed", 500, "HTTP 500", messageId],
      [1, "failed", 500, "HTTP 500", messageId],
    ]);
  });

  it("dead-letters a message whose every attempt failed, and the delivery log says so", async () => {
    const t = await newTenant();
    const hook = await createReceiverWebhook(t, { query: "fail=1000", eventTypes: ["session.idle"] });
    const agent = await createAgent(t);
    const session = await createSession(t, agent.id);
    await sendMessage(t, session.id, "hello");
    let log = await deliveries(t, hook.webhook.id);
    for (let i = 0; i < 400 && log.data[0]?.status !== "dead_lettered"; i += 1) {
      await sleep(25);
      log = await deliveries(t, hook.webhook.id);
    }
    // wrangler.toml: max_retries = 12, so 13 attempts, then the dead-letter queue.
    expect(log.data[0]).toMatchObject({ status: "dead_lettered", attempt: null, event_type: "session.idle" });
    expect(log.data.slice(1).map((d) => d.attempt)).toEqual([13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(new Set(log.data.map((d) => d.message_id)).size).toBe(1);
    expect((await received(hook.name)).length).toBe(13);
    // Failing for less than 3 days does not disable an endpoint.
    expect(WebhookSchema.parse(await (await callAs(t, `/v1/webhooks/${hook.webhook.id}`)).json()).status).toBe("enabled");
  });

  it("disables an endpoint that has failed every attempt for 3 days, says why, and stops retrying it; enabling it forgets the failures", async () => {
    const t = await newTenant();
    const hook = await createReceiverWebhook(t, { query: "fail=1000", eventTypes: ["session.idle"] });
    const db = createDb(env.DB);
    await db
      .update(webhooks)
      .set({ failingSince: new Date(Date.now() - 3 * 24 * 60 * 60 * 1000 - 60_000).toISOString() })
      .where(eq(webhooks.id, hook.webhook.id));
    const agent = await createAgent(t);
    const session = await createSession(t, agent.id);
    await sendMessage(t, session.id, "hello");
    await receivedUntil(hook.name, (d) => d.length >= 1);
    let shown = WebhookSchema.parse(await (await callAs(t, `/v1/webhooks/${hook.webhook.id}`)).json());
    for (let i = 0; i < 200 && shown.status !== "disabled"; i += 1) {
      await sleep(25);
      shown = WebhookSchema.parse(await (await callAs(t, `/v1/webhooks/${hook.webhook.id}`)).json());
    }
    expect(shown).toMatchObject({ status: "disabled", disabled_reason: FAILING_REASON });
    await sleep(SETTLE_MS);
    expect(await received(hook.name)).toHaveLength(1);
    expect((await deliveries(t, hook.webhook.id)).data.map((d) => d.status)).toEqual(["failed"]);

    // A disabled endpoint gets nothing more.
    await sendMessage(t, session.id, "again");
    await settledEvents(t, session.id, 2);
    await sleep(SETTLE_MS);
    expect(await received(hook.name)).toHaveLength(1);

    const enabled = WebhookSchema.parse(
      await (await callAs(t, `/v1/webhooks/${hook.webhook.id}`, { method: "PATCH", json: { status: "enabled" } })).json(),
    );
    expect(enabled).toMatchObject({ status: "enabled", disabled_reason: null });
    expect((await db.select().from(webhooks).where(eq(webhooks.id, hook.webhook.id)).get())?.failingSince).toBeNull();
  });

  it("a receiver refuses a delivery whose body was tampered with, or that was signed with another secret", async () => {
    const t = await newTenant();
    const hook = await createReceiverWebhook(t);
    const agent = await createAgent(t);
    const session = await createSession(t, agent.id);
    await sendMessage(t, session.id, "hello");
    const [genuine] = await receivedUntil(hook.name, (d) => d.length >= 1);
    if (!genuine) throw new Error("no delivery");
    expect(genuine.verified).toEqual([true]);
    const tampered = genuine.body.replace(session.id, `session_${"0".repeat(32)}`);
    expect(tampered).not.toBe(genuine.body);
    expect(await postToReceiver(hook.name, genuine.headers, tampered)).toBe(401);
    expect(await postToReceiver(hook.name, genuine.headers, `${genuine.body} `)).toBe(401);
    const forged = { ...genuine.headers, "webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" };
    expect(await postToReceiver(hook.name, forged, genuine.body)).toBe(401);
    // The genuine one, replayed as it came, still verifies (deduplicating by webhook-id is the receiver's job).
    expect(await postToReceiver(hook.name, genuine.headers, genuine.body)).toBe(204);
    const all = await received(hook.name);
    expect(all.slice(-4).map((d) => d.verified)).toEqual([[false], [false], [false], [true]]);
  });

  it("sends session.deleted once for a deleted session, even when two deletes race", async () => {
    const t = await newTenant();
    const hook = await createReceiverWebhook(t, { eventTypes: ["session.deleted"] });
    const agent = await createAgent(t);
    const session = await createSession(t, agent.id);
    const [a, b] = await Promise.all([
      callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE" }),
      callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE" }),
    ]);
    expect([a?.status, b?.status].sort()).toEqual([204, 404]);
    for (const res of [a, b]) if (res?.status === 404) await expectProblem(res, 404, "session_not_found");
    const got = await receivedUntil(hook.name, (d) => d.length >= 1);
    await sleep(SETTLE_MS);
    expect(await received(hook.name)).toHaveLength(1);
    expectThinAndVerified(got, hook.webhook.secret, { orgId: t.orgId, sessionId: session.id, agentId: agent.id });
    expect(payload(got[0] as RecordedDelivery)).toMatchObject({
      type: "session.deleted",
      data: { organization_id: t.orgId, session_id: session.id, agent_id: agent.id },
    });
    expect(payload(got[0] as RecordedDelivery).data).not.toHaveProperty("turn_id");
  });

  it("tells nothing of the stop a delete makes of a running turn: session.deleted alone", async () => {
    const t = await newTenant();
    const hook = await createReceiverWebhook(t);
    const slow = await fakeModel(t, "openai", scenarioBase("openai", "hang"));
    const agent = await createAgent(t, { default_model_id: slow });
    const session = await createSession(t, agent.id);
    await sendMessage(t, session.id, "hello");
    await waitForStatus(t, session.id, "active");
    const res = await callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    await receivedUntil(hook.name, (d) => d.length >= 1);
    await sleep(SETTLE_MS);
    expect(types(await received(hook.name))).toEqual(["session.deleted"]);
  });
});
