import { env } from "cloudflare:workers";
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { webhooks } from "../src/db/schema";
import { decryptSecret } from "../src/lib/encryption";
import { WEBHOOK_LIMITS, WebhookSchema, WebhookTestResultSchema, WebhookWithSecretSchema } from "../src/schemas/webhooks";
import { captureConsole } from "./support/console";
import { expectProblem } from "./support/problems";
import { callAs } from "./support/requests";
import { memberOf, newTenant } from "./support/tenants";
import { createReceiverWebhook, deliveries, payload, receivedUntil, setReceiverSecrets } from "./support/webhooks";

const WebhookList = z.object({ data: z.array(WebhookSchema) });
const SECRET_SHAPE = /^whsec_[A-Za-z0-9+/]{32}$/;

async function storedRow(id: string) {
  return createDb(env.DB).select().from(webhooks).where(eq(webhooks.id, id)).get();
}

describe("webhook endpoints", () => {
  it("creates, gets, lists, updates and deletes an endpoint; the secret is shown on create only and stored sealed", async () => {
    const t = await newTenant();
    const bodies: string[] = [];
    let secret = "";
    const lines = await captureConsole(async () => {
      const res = await callAs(t, "/v1/webhooks", {
        method: "POST",
        json: { url: "https://example.com/hooks", event_types: ["session.idle", "turn.failed", "session.idle"], description: "jobs" },
      });
      expect(res.status).toBe(201);
      const created = WebhookWithSecretSchema.parse(await res.json());
      secret = created.secret;
      expect(created.id).toMatch(/^webhook_[0-9a-f]{32}$/);
      expect(created.secret).toMatch(SECRET_SHAPE);
      expect(created).toMatchObject({
        url: "https://example.com/hooks",
        event_types: ["session.idle", "turn.failed"],
        description: "jobs",
        status: "enabled",
        disabled_reason: null,
        previous_secret_expires_at: null,
      });
      const row = await storedRow(created.id);
      expect(row?.secretEncrypted).toMatch(/^v1:[0-9a-f]{8}:/);
      expect(row?.secretEncrypted).not.toContain(created.secret.slice(6));
      expect(await decryptSecret(env, row?.secretEncrypted ?? "", created.id)).toBe(created.secret);

      const get = await callAs(t, `/v1/webhooks/${created.id}`);
      const getText = await get.text();
      bodies.push(getText);
      const { secret: _shown, ...withoutSecret } = created;
      expect(WebhookSchema.strict().parse(JSON.parse(getText))).toEqual(withoutSecret);

      const list = await callAs(t, "/v1/webhooks");
      const listText = await list.text();
      bodies.push(listText);
      expect(WebhookList.parse(JSON.parse(listText)).data.map((w) => w.id)).toEqual([created.id]);

      const patched = await callAs(t, `/v1/webhooks/${created.id}`, {
        method: "PATCH",
        json: { event_types: ["session.deleted"], description: null },
      });
      const patchedText = await patched.text();
      bodies.push(patchedText);
      expect(WebhookSchema.parse(JSON.parse(patchedText))).toMatchObject({
        event_types: ["session.deleted"],
        description: null,
        url: "https://example.com/hooks",
      });

      const disabled = WebhookSchema.parse(
        await (await callAs(t, `/v1/webhooks/${created.id}`, { method: "PATCH", json: { status: "disabled" } })).json(),
      );
      expect(disabled).toMatchObject({ status: "disabled", disabled_reason: "Disabled through the API" });
      const enabled = WebhookSchema.parse(
        await (await callAs(t, `/v1/webhooks/${created.id}`, { method: "PATCH", json: { status: "enabled" } })).json(),
      );
      expect(enabled).toMatchObject({ status: "enabled", disabled_reason: null });

      expect((await callAs(t, `/v1/webhooks/${created.id}`, { method: "DELETE" })).status).toBe(204);
      await expectProblem(await callAs(t, `/v1/webhooks/${created.id}`), 404, "webhook_not_found");
      await expectProblem(await callAs(t, `/v1/webhooks/${created.id}`, { method: "DELETE" }), 404, "webhook_not_found");
      expect(await storedRow(created.id)).toBeUndefined();
    });
    for (const text of [...bodies, ...lines]) expect(text).not.toContain(secret.slice(6));
  });

  it("refuses bad bodies naming every field, private URLs only where allowed, and ids of the wrong shape", async () => {
    const t = await newTenant();
    await expectProblem(await callAs(t, "/v1/webhooks", { method: "POST", json: {} }), 400, "validation_failed", [
      "body.url",
      "body.event_types",
    ]);
    await expectProblem(
      await callAs(t, "/v1/webhooks", { method: "POST", json: { url: "ftp://example.com/x", event_types: ["session.started"] } }),
      400,
      "validation_failed",
      ["body.url", "body.event_types.0"],
    );
    await expectProblem(
      await callAs(t, "/v1/webhooks", { method: "POST", json: { url: "https://example.com", event_types: [] } }),
      400,
      "validation_failed",
      ["body.event_types"],
    );
    await expectProblem(
      await callAs(t, "/v1/webhooks", { method: "POST", json: { url: "https://user:pw@example.com/x", event_types: ["session.idle"] } }),
      400,
      "validation_failed",
      ["body.url"],
    );
    await expectProblem(
      await callAs(t, "/v1/webhooks", {
        method: "POST",
        json: { url: `https://example.com/${"x".repeat(WEBHOOK_LIMITS.urlBytes)}`, event_types: ["session.idle"] },
      }),
      400,
      "input_too_large",
      ["body.url"],
    );
    // This project sets ALLOW_PRIVATE_WEBHOOK_URLS=true (the receiver is on loopback); test/defaults shows the refusal.
    const local = await callAs(t, "/v1/webhooks", { method: "POST", json: { url: "http://127.0.0.1:9/x", event_types: ["session.idle"] } });
    expect(local.status).toBe(201);
    await local.body?.cancel();
    await expectProblem(await callAs(t, "/v1/webhooks/provider_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f"), 400, "invalid_id");
    await expectProblem(await callAs(t, "/v1/webhooks/webhook_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f"), 404, "webhook_not_found");
  });

  it("is for admins: a member gets 403 on every webhook route", async () => {
    const owner = await newTenant();
    const { webhook } = await createReceiverWebhook(owner);
    const member = await memberOf(owner);
    for (const [method, path] of [
      ["GET", "/v1/webhooks"],
      ["POST", "/v1/webhooks"],
      ["GET", `/v1/webhooks/${webhook.id}`],
      ["PATCH", `/v1/webhooks/${webhook.id}`],
      ["DELETE", `/v1/webhooks/${webhook.id}`],
      ["POST", `/v1/webhooks/${webhook.id}/rotate-secret`],
      ["GET", `/v1/webhooks/${webhook.id}/deliveries`],
      ["POST", `/v1/webhooks/${webhook.id}/test`],
    ] as const) {
      await expectProblem(
        await callAs(member, path, { method, ...(method === "POST" || method === "PATCH" ? { json: {} } : {}) }),
        403,
        "forbidden",
      );
    }
  });

  it("holds at most the per-org limit of endpoints, even when created concurrently", async () => {
    const t = await newTenant();
    const create = () =>
      callAs(t, "/v1/webhooks", { method: "POST", json: { url: "https://example.com/h", event_types: ["session.deleted"] } });
    const answers = await Promise.all(Array.from({ length: WEBHOOK_LIMITS.perOrg + 5 }, create));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(WEBHOOK_LIMITS.perOrg);
    for (const res of answers) {
      if (res.status === 201) await res.body?.cancel();
      else await expectProblem(res, 409, "webhook_limit_reached");
    }
    expect(WebhookList.parse(await (await callAs(t, "/v1/webhooks")).json()).data).toHaveLength(WEBHOOK_LIMITS.perOrg);
  });

  it("replays a create with the same Idempotency-Key (one endpoint, the same secret) and refuses the key with another body", async () => {
    const t = await newTenant();
    const key = crypto.randomUUID();
    const body = { url: "https://example.com/once", event_types: ["session.idle"] };
    const first = await callAs(t, "/v1/webhooks", { method: "POST", headers: { "idempotency-key": key }, json: body });
    const again = await callAs(t, "/v1/webhooks", { method: "POST", headers: { "idempotency-key": key }, json: body });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.text()).toBe(await first.text());
    expect(WebhookList.parse(await (await callAs(t, "/v1/webhooks")).json()).data).toHaveLength(1);
    await expectProblem(
      await callAs(t, "/v1/webhooks", {
        method: "POST",
        headers: { "idempotency-key": key },
        json: { ...body, url: "https://example.com/other" },
      }),
      422,
      "idempotency_key_reused",
    );
  });

  it("rotates the secret: the new one is returned once, the old one keeps signing for 24 hours", async () => {
    const t = await newTenant();
    const { webhook, name } = await createReceiverWebhook(t);
    const before = Date.now();
    const res = await callAs(t, `/v1/webhooks/${webhook.id}/rotate-secret`, { method: "POST" });
    expect(res.status).toBe(200);
    const rotated = WebhookWithSecretSchema.parse(await res.json());
    expect(rotated.secret).toMatch(SECRET_SHAPE);
    expect(rotated.secret).not.toBe(webhook.secret);
    const expires = Date.parse(rotated.previous_secret_expires_at ?? "");
    expect(expires - before).toBeGreaterThanOrEqual(24 * 60 * 60 * 1000 - 1000);
    expect(expires - before).toBeLessThanOrEqual(24 * 60 * 60 * 1000 + 5000);
    const shown = WebhookSchema.strict().parse(await (await callAs(t, `/v1/webhooks/${webhook.id}`)).json());
    expect(shown.previous_secret_expires_at).toBe(rotated.previous_secret_expires_at);

    // The test event is signed with both: the receiver verifies it with either secret alone.
    await setReceiverSecrets(name, [webhook.secret, rotated.secret]);
    const sent = WebhookTestResultSchema.parse(await (await callAs(t, `/v1/webhooks/${webhook.id}/test`, { method: "POST" })).json());
    const [both] = await receivedUntil(name, (d) => d.length === 1);
    expect(both?.headers["webhook-id"]).toBe(sent.message_id);
    expect(both?.headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(both?.verified).toEqual([true, true]);

    // Past the window, only the new secret signs.
    await createDb(env.DB)
      .update(webhooks)
      .set({ previousSecretExpiresAt: new Date(Date.now() - 1000).toISOString() })
      .where(eq(webhooks.id, webhook.id));
    expect(WebhookSchema.parse(await (await callAs(t, `/v1/webhooks/${webhook.id}`)).json()).previous_secret_expires_at).toBeNull();
    await callAs(t, `/v1/webhooks/${webhook.id}/test`, { method: "POST" }).then((r) => r.body?.cancel());
    const got = await receivedUntil(name, (d) => d.length === 2);
    expect(got[1]?.headers["webhook-signature"].split(" ")).toHaveLength(1);
    expect(got[1]?.verified).toEqual([false, true]);
  });

  it("sends a test event to the endpoint alone and logs its one attempt", async () => {
    const t = await newTenant();
    const { webhook, name } = await createReceiverWebhook(t, { eventTypes: ["session.deleted"] });
    const res = await callAs(t, `/v1/webhooks/${webhook.id}/test`, { method: "POST" });
    expect(res.status).toBe(202);
    const sent = WebhookTestResultSchema.parse(await res.json());
    expect(sent.message_id).toMatch(/^msg_[0-9a-f]{32}$/);
    const [got] = await receivedUntil(name, (d) => d.length === 1);
    expect(got?.verified).toEqual([true]);
    expect(payload(got ?? ({} as never))).toEqual({
      type: "webhook.test",
      timestamp: expect.any(String),
      data: { organization_id: t.orgId, webhook_id: webhook.id },
    });
    const log = await waitForLog(t, webhook.id, 1);
    expect(log.data).toEqual([
      {
        id: expect.stringMatching(/^delivery_[0-9a-f]{32}$/),
        webhook_id: webhook.id,
        message_id: sent.message_id,
        event_type: "webhook.test",
        attempt: 1,
        status: "succeeded",
        response_status: 204,
        duration_ms: expect.any(Number),
        error: null,
        created_at: expect.any(String),
      },
    ]);
  });

  it("pages the delivery log newest first, clamps the limit, and shows no attempt older than 7 days", async () => {
    const t = await newTenant();
    const { webhook, name } = await createReceiverWebhook(t);
    for (let i = 0; i < 3; i += 1) await callAs(t, `/v1/webhooks/${webhook.id}/test`, { method: "POST" }).then((r) => r.body?.cancel());
    await receivedUntil(name, (d) => d.length === 3);
    const all = await waitForLog(t, webhook.id, 3);
    expect(all.total).toBe(3);
    const times = all.data.map((d) => d.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    const page = await deliveries(t, webhook.id, "?offset=1&limit=1");
    expect(page).toMatchObject({ total: 3, offset: 1, limit: 1 });
    expect(page.data.map((d) => d.id)).toEqual([all.data[1]?.id]);
    expect((await deliveries(t, webhook.id, "?limit=100000")).limit).toBe(100);
    await expectProblem(await callAs(t, `/v1/webhooks/${webhook.id}/deliveries?limit=abc`), 400, "validation_failed", ["query.limit"]);

    // An attempt 8 days old is no longer shown.
    const { webhookDeliveries } = await import("../src/db/schema");
    const oldest = all.data[2]?.id ?? "";
    await createDb(env.DB)
      .update(webhookDeliveries)
      .set({ createdAt: new Date(Date.now() - 8 * 24 * 60 * 60 * 1000).toISOString() })
      .where(eq(webhookDeliveries.id, oldest));
    const recent = await deliveries(t, webhook.id);
    expect(recent.total).toBe(2);
    expect(recent.data.map((d) => d.id)).not.toContain(oldest);
  });

  it("answers 404 for another org's endpoint, as for one that does not exist", async () => {
    const owner = await newTenant();
    const other = await newTenant();
    const { webhook } = await createReceiverWebhook(owner);
    await expectProblem(await callAs(other, `/v1/webhooks/${webhook.id}`), 404, "webhook_not_found");
    await expectProblem(await callAs(other, `/v1/webhooks/${webhook.id}/deliveries`), 404, "webhook_not_found");
    await expectProblem(await callAs(other, `/v1/webhooks/${webhook.id}/rotate-secret`, { method: "POST" }), 404, "webhook_not_found");
    expect(WebhookList.parse(await (await callAs(other, "/v1/webhooks")).json()).data).toEqual([]);
  });
});

/** The delivery log once it holds at least `n` attempts (the consumer writes it right after the receiver answers). */
async function waitForLog(t: Parameters<typeof deliveries>[0], webhookId: string, n: number) {
  for (let i = 0; i < 200; i += 1) {
    const page = await deliveries(t, webhookId);
    if (page.total >= n) return page;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("the delivery log did not fill");
}
