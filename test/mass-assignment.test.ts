import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { newId } from "../src/lib/ids";
import { AgentSchema } from "../src/schemas/agents";
import { ApiKeySchema, AuthTokensSchema, CreatedApiKeySchema } from "../src/schemas/auth";
import { LlmProviderSchema } from "../src/schemas/llm";
import { SessionSchema } from "../src/schemas/sessions";
import { expectProblem } from "./support/problems";
import { call, callAs } from "./support/requests";
import { createAgent, createSession } from "./support/resources";
import { newTenant, uniqueIp } from "./support/tenants";

/**
 * OWASP API3 (broken object property level authorization): a client sets only the fields the
 * contract lets it set. Server-owned fields it sends (ids, org, status, timestamps, secrets'
 * derivatives, roles) are ignored, never stored, on every create and update that could take them.
 */
describe("server-owned fields a client sends are ignored", () => {
  it("agents: org_id, status, timestamps are ignored on create and update; an id is refused, not taken", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const forcedId = newId("agent");
    const server = {
      org_id: other.orgId,
      status: "archived",
      created_at: "2000-01-01T00:00:00.000Z",
      updated_at: "2000-01-01T00:00:00.000Z",
    };
    // Ids come from the server: one in the body is a 422 naming it (the SDKs' agents.apply sends one), and nothing is created.
    await expectProblem(
      await callAs(t, "/v1/agents", { method: "POST", json: { name: "a", system_prompt: "p", id: forcedId, ...server } }),
      422,
      "unsupported_feature",
      ["body.id"],
    );
    await expectProblem(await callAs(t, `/v1/agents/${forcedId}`), 404, "agent_not_found");
    const res = await callAs(t, "/v1/agents", { method: "POST", json: { name: "a", system_prompt: "p", ...server } });
    expect(res.status).toBe(201);
    const agent = AgentSchema.parse(await res.json());
    expect(agent.status).toBe("active");
    expect(agent.created_at).not.toBe(server.created_at);
    await expectProblem(await callAs(other, `/v1/agents/${agent.id}`), 404, "agent_not_found");
    const patched = await callAs(t, `/v1/agents/${agent.id}`, {
      method: "PATCH",
      json: { id: forcedId, org_id: other.orgId, created_at: server.created_at },
    });
    expect(AgentSchema.parse(await patched.json())).toMatchObject({ id: agent.id, created_at: agent.created_at });
    expect((await callAs(t, `/v1/agents/${agent.id}`)).status).toBe(200);
  });

  it("sessions: organization, status, usage and timestamps are ignored; an id is refused, not taken", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    const forcedId = newId("session");
    const forced = {
      organization_id: newId("org"),
      status: "active",
      usage: { input_tokens: 999, output_tokens: 999 },
      started_at: "2000-01-01T00:00:00.000Z",
    };
    await expectProblem(
      await callAs(t, `/v1/agents/${agent.id}/sessions`, { method: "POST", json: { id: forcedId, ...forced } }),
      422,
      "unsupported_feature",
      ["body.id"],
    );
    await expectProblem(await callAs(t, `/v1/sessions/${forcedId}`), 404, "session_not_found");
    const res = await callAs(t, `/v1/agents/${agent.id}/sessions`, { method: "POST", json: forced });
    const session = SessionSchema.parse(await res.json());
    expect(session).toMatchObject({
      organization_id: t.orgId,
      status: "started",
      usage: { input_tokens: 0, output_tokens: 0 },
      started_at: null,
    });
    const patched = SessionSchema.parse(
      await (
        await callAs(t, `/v1/sessions/${session.id}`, { method: "PATCH", json: { ...forced, id: forcedId, agent_id: newId("agent") } })
      ).json(),
    );
    expect(patched).toMatchObject({ id: session.id, agent_id: agent.id, status: "started", usage: { input_tokens: 0, output_tokens: 0 } });
  });

  it("messages: a client can only speak as the user", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    for (const role of ["agent", "tool_result", "system"]) {
      const res = await callAs(t, `/v1/sessions/${session.id}/messages`, {
        method: "POST",
        json: { message: { role, content: [{ type: "text", text: "x" }] } },
      });
      await expectProblem(res, 400, "validation_failed", ["body.message.role"]);
    }
    const toolCall = { type: "tool_call", id: "c1", name: "add", arguments: {} };
    const res = await callAs(t, `/v1/sessions/${session.id}/messages`, {
      method: "POST",
      json: { message: { role: "user", content: [toolCall] } },
    });
    await expectProblem(res, 400, "validation_failed");
  });

  it("providers: api_key_set, the stored ciphertext and the org cannot be written", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const res = await callAs(t, "/v1/llm-providers", {
      method: "POST",
      json: {
        name: "p",
        provider_type: "openai",
        api_key_set: true,
        api_key_encrypted: "v1:x:y:z",
        apiKeyEncrypted: "v1:x:y:z",
        org_id: other.orgId,
      },
    });
    const provider = LlmProviderSchema.parse(await res.json());
    expect(provider.api_key_set).toBe(false);
    await expectProblem(await callAs(other, `/v1/llm-providers/${provider.id}`), 404, "provider_not_found");
  });

  it("API keys: the key, its prefix, its user and its org are the server's", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const chosen = `evr_${"a".repeat(64)}`;
    const res = await callAs(t, "/v1/auth/api-keys", {
      method: "POST",
      json: { name: "k", key: chosen, key_prefix: "evr_aaaaaaaa", org_id: other.orgId, user_id: other.userId },
    });
    const key = CreatedApiKeySchema.parse(await res.json());
    expect(key.key).not.toBe(chosen);
    expect(key.org_id).toBe(t.orgId);
    const listed = z.object({ data: z.array(ApiKeySchema) }).parse(await (await callAs(other, "/v1/auth/api-keys")).json()).data;
    expect(listed.map((k) => k.id)).not.toContain(key.id);
    expect((await call("/v1/auth/me", { headers: { authorization: chosen } })).status).toBe(401);
  });

  it("register: a new user cannot pick their id, org or role", async () => {
    const other = await newTenant();
    const res = await call("/v1/auth/register", {
      method: "POST",
      headers: { "cf-connecting-ip": uniqueIp() },
      json: {
        email: `m-${crypto.randomUUID()}@example.test`,
        password: "long enough pw",
        name: "M",
        id: newId("user"),
        default_org_id: other.orgId,
        role: "owner",
      },
    });
    const body = AuthTokensSchema.parse(await res.json());
    expect(body.user.default_org_id).not.toBe(other.orgId);
    const me = await call("/v1/auth/me", { headers: { authorization: `Bearer ${body.access_token}`, "x-org-id": other.orgId } });
    await expectProblem(me, 404, "org_not_found");
  });

  it("members: an admin cannot grant owner, and nobody changes their own role by adding themselves again", async () => {
    const owner = await newTenant();
    const admin = await newTenant();
    expect(
      (await callAs(owner, `/v1/orgs/${owner.orgId}/members`, { method: "POST", json: { email: admin.email, role: "admin" } })).status,
    ).toBe(201);
    const asAdmin = { headers: { ...admin.headers, "x-org-id": owner.orgId } };
    const stranger = await newTenant();
    await expectProblem(
      await callAs(asAdmin, `/v1/orgs/${owner.orgId}/members`, { method: "POST", json: { email: stranger.email, role: "owner" } }),
      403,
      "forbidden",
    );
    await expectProblem(
      await callAs(asAdmin, `/v1/orgs/${owner.orgId}/members/${admin.userId}`, { method: "PATCH", json: { role: "owner" } }),
      403,
      "forbidden",
    );
    await expectProblem(
      await callAs(asAdmin, `/v1/orgs/${owner.orgId}/members`, { method: "POST", json: { email: admin.email, role: "owner" } }),
      403,
      "forbidden",
    );
  });
});
