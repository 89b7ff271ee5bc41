import { env } from "cloudflare:workers";
import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../src/lib/crypto";
import { ApiKeySchema, CreatedApiKeySchema } from "../src/schemas/auth";
import { expectProblem } from "./support/problems";
import { type Caller, call, callAs } from "./support/requests";
import { newTenant } from "./support/tenants";

const KeyList = z.object({ data: z.array(ApiKeySchema.strict()) });

async function createKey(t: Caller, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const res = await callAs(t, "/v1/auth/api-keys", { method: "POST", headers, json: { name: "CI", ...body } });
  expect(res.status).toBe(201);
  return CreatedApiKeySchema.parse(await res.json());
}

describe("API keys", () => {
  it("shows the full key once; stores only its SHA-256 and a 12-character prefix", async () => {
    const t = await newTenant();
    const created = await createKey(t);
    expect(created.key).toMatch(/^evr_[0-9a-f]{64}$/);
    expect(created).toMatchObject({
      name: "CI",
      key_prefix: created.key.slice(0, 12),
      org_id: t.orgId,
      expires_at: null,
      last_used_at: null,
    });
    expect(created.id).toMatch(/^key_[0-9a-f]{32}$/);

    const row = await env.DB.prepare("SELECT prefix, key_hash FROM api_keys WHERE id = ?")
      .bind(created.id)
      .first<{ prefix: string; key_hash: string }>();
    expect(row).toEqual({ prefix: created.key.slice(0, 12), key_hash: await sha256Hex(created.key) });

    const list = await callAs(t, "/v1/auth/api-keys");
    expect(list.status).toBe(200);
    const text = await list.text();
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(row?.key_hash);
    const { key: _shownOnce, ...listed } = created;
    expect(KeyList.parse(JSON.parse(text)).data).toEqual([listed]);
  });

  it("sets expiry from expires_in_days or expires_at, and rejects a past or double expiry naming the field", async () => {
    const t = await newTenant();
    const inDays = await createKey(t, { expires_in_days: 30 });
    const expected = Date.now() + 30 * 86_400_000;
    expect(Math.abs(Date.parse(inDays.expires_at ?? "") - expected)).toBeLessThan(60_000);
    const at = await createKey(t, { expires_at: "2999-01-01T00:00:00Z" });
    expect(at.expires_at).toBe("2999-01-01T00:00:00.000Z");

    const cases: [Record<string, unknown>, string][] = [
      [{ expires_at: "2000-01-01T00:00:00Z" }, "body.expires_at"],
      [{ expires_at: "2999-01-01T00:00:00Z", expires_in_days: 3 }, "body.expires_at"],
      [{ expires_in_days: 0 }, "body.expires_in_days"],
      [{ name: "" }, "body.name"],
    ];
    for (const [body, path] of cases) {
      const res = await callAs(t, "/v1/auth/api-keys", { method: "POST", json: { name: "x", ...body } });
      await expectProblem(res, 400, "validation_failed", [path]);
    }
  });

  it("belongs to the user and the org it was created in", async () => {
    const owner = await newTenant();
    const t = await newTenant();
    expect((await callAs(owner, `/v1/orgs/${owner.orgId}/members`, { method: "POST", json: { email: t.email } })).status).toBe(201);
    const inOwnOrg = await createKey(t);
    const inOtherOrg = await createKey(t, { name: "other" }, { "x-org-id": owner.orgId });
    expect(inOtherOrg.org_id).toBe(owner.orgId);

    const own = KeyList.parse(await (await callAs(t, "/v1/auth/api-keys")).json());
    expect(own.data.map((k) => k.id)).toEqual([inOwnOrg.id]);
    const other = KeyList.parse(await (await callAs(t, "/v1/auth/api-keys", { headers: { "x-org-id": owner.orgId } })).json());
    expect(other.data.map((k) => k.id)).toEqual([inOtherOrg.id]);
    // The owner of that org does not see a member's keys in their own list.
    expect(KeyList.parse(await (await callAs(owner, "/v1/auth/api-keys")).json()).data).toEqual([]);

    const me = (await (await call("/v1/auth/me", { headers: { authorization: inOtherOrg.key } })).json()) as {
      org: { id: string };
      role: string;
    };
    expect(me).toMatchObject({ org: { id: owner.orgId }, role: "member" });
  });

  it("revokes with DELETE (204); then the key fails and a second DELETE is 404 api_key_not_found", async () => {
    const t = await newTenant();
    const created = await createKey(t);
    expect((await call("/v1/auth/me", { headers: { authorization: created.key } })).status).toBe(200);
    expect((await callAs(t, `/v1/auth/api-keys/${created.id}`, { method: "DELETE" })).status).toBe(204);
    const after = await call("/v1/auth/me", { headers: { authorization: created.key } });
    await expectProblem(after, 401, "unauthorized");
    const again = await callAs(t, `/v1/auth/api-keys/${created.id}`, { method: "DELETE" });
    await expectProblem(again, 404, "api_key_not_found");
    expect(KeyList.parse(await (await callAs(t, "/v1/auth/api-keys")).json()).data).toEqual([]);
  });

  it("404s another user's key id exactly like an unknown one, and 400s a malformed id", async () => {
    const [a, b] = [await newTenant(), await newTenant()];
    const bKey = await createKey(b);
    const foreign = await callAs(a, `/v1/auth/api-keys/${bKey.id}`, { method: "DELETE" });
    const unknown = await callAs(a, "/v1/auth/api-keys/key_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f", { method: "DELETE" });
    const [x, y] = [await expectProblem(foreign, 404, "api_key_not_found"), await expectProblem(unknown, 404, "api_key_not_found")];
    expect({ ...x, request_id: "" }).toEqual({ ...y, request_id: "" });
    expect((await call("/v1/auth/me", { headers: { authorization: bKey.key } })).status).toBe(200);

    const bad = await callAs(a, "/v1/auth/api-keys/agent_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f", { method: "DELETE" });
    await expectProblem(bad, 400, "invalid_id", ["path.key_id"]);
  });

  it("cannot be used to create another key (403 forbidden)", async () => {
    const t = await newTenant({ apiKey: true });
    const res = await call("/v1/auth/api-keys", { method: "POST", headers: { authorization: t.apiKey ?? "" }, json: { name: "child" } });
    await expectProblem(res, 403, "forbidden");
    // Listing and revoking with a key are fine.
    expect((await call("/v1/auth/api-keys", { headers: { authorization: t.apiKey ?? "" } })).status).toBe(200);
  });
});
