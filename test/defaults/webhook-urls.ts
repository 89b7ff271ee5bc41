import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { webhooks } from "../../src/db/schema";
import { WebhookWithSecretSchema } from "../../src/schemas/webhooks";
import { sleep } from "../support/async";
import { expectProblem } from "../support/problems";
import { callAs } from "../support/requests";
import { newTenant } from "../support/tenants";
import { deliveries, received, receiverEndpoint } from "../support/webhooks";

/** The Worker as deployed (wrangler.toml: ALLOW_PRIVATE_WEBHOOK_URLS off). */
describe("webhook URLs with the deployed settings", () => {
  it("refuses private, loopback and plain-http URLs naming body.url, and takes a public https URL on any port", async () => {
    const t = await newTenant();
    const create = (url: string) => callAs(t, "/v1/webhooks", { method: "POST", json: { url, event_types: ["session.idle"] } });
    for (const url of [
      "http://127.0.0.1:8080/hooks",
      "https://127.0.0.1/hooks",
      "https://10.0.0.7/hooks",
      "https://[::1]/hooks",
      "https://localhost/hooks",
      "https://hooks.internal/x",
      "https://127.0.0.1.nip.io/x",
      "http://example.com/hooks",
    ]) {
      const p = await expectProblem(await create(url), 400, "validation_failed", ["body.url"]);
      expect(p.errors?.[0]?.message, url).toContain("ALLOW_PRIVATE_WEBHOOK_URLS");
    }
    const ok = await create("https://hooks.example.com:8443/everruns");
    expect(ok.status).toBe(201);
    const { id } = WebhookWithSecretSchema.parse(await ok.json());
    await expectProblem(
      await callAs(t, `/v1/webhooks/${id}`, { method: "PATCH", json: { url: "http://192.168.1.2/x" } }),
      400,
      "validation_failed",
      ["body.url"],
    );
  });

  it("checks the URL again before delivering: an endpoint stored while private URLs were allowed gets nothing, and its log says why", async () => {
    const t = await newTenant();
    const res = await callAs(t, "/v1/webhooks", {
      method: "POST",
      json: { url: "https://hooks.example.com/x", event_types: ["session.idle"] },
    });
    const { id } = WebhookWithSecretSchema.parse(await res.json());
    const local = receiverEndpoint();
    await createDb(env.DB).update(webhooks).set({ url: local.url }).where(eq(webhooks.id, id));
    expect((await callAs(t, `/v1/webhooks/${id}/test`, { method: "POST" })).status).toBe(202);
    let log = await deliveries(t, id);
    for (let i = 0; i < 200 && log.total === 0; i += 1) {
      await sleep(25);
      log = await deliveries(t, id);
    }
    expect(log.data).toHaveLength(1);
    expect(log.data[0]).toMatchObject({
      status: "failed",
      attempt: 1,
      response_status: null,
      error: expect.stringMatching(/^URL refused: /),
    });
    expect(await received(local.name)).toEqual([]);
  });
});
