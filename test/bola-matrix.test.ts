import { describe, expect, it } from "vitest";
import { AgentSchema } from "../src/schemas/agents";
import { documentedOperations } from "./support/openapi";
import { problem } from "./support/problems";
import { type Caller, call, callAs } from "./support/requests";
import {
  createAgent,
  createLlmModel,
  createLlmProvider,
  createMcpServer,
  createSession,
  listMessages,
  sendMessage,
} from "./support/resources";
import { newTenant, type Tenant } from "./support/tenants";
import { createReceiverWebhook } from "./support/webhooks";

/** A body each write operation accepts, so a request reaches the ownership check instead of stopping at validation. */
const VALID_BODIES: Record<string, unknown | ((ids: Record<string, string>) => unknown)> = {
  updateOrganization: { name: "taken over" },
  addMember: { email: "nobody@example.test", role: "member" },
  updateMember: { role: "member" },
  updateAgent: { name: "taken over" },
  createAgentSession: {},
  updateSession: { title: "taken over" },
  createMessage: { message: { role: "user", content: [{ type: "text", text: "taken over" }] } },
  cancelSession: {},
  submitToolResults: { tool_results: [{ tool_call_id: "call_1", result: 1 }] },
  submitToolApprovals: { decisions: [{ tool_call_id: "call_1", decision: "allow" }] },
  updateLlmProvider: { name: "taken over" },
  createLlmModel: { model_id: "taken-over" },
  updateLlmModel: { display_name: "taken over" },
  updateMcpServer: { name: "taken-over" },
  updateWebhook: { description: "taken over" },
  runAgUi: (ids: Record<string, string>) => ({
    threadId: ids.session_id,
    runId: "run_taken_over",
    messages: [{ id: "msg_taken_over", role: "user", content: "taken over" }],
  }),
};

/**
 * Every operation of the served document that names an org's resource in its path (capabilities and
 * harnesses are built in, the same for everyone), as [METHOD, template, operationId].
 */
async function operationsWithIds(): Promise<[string, string, string][]> {
  return (await documentedOperations())
    .filter((op) => /\{(?!capability_id|harness_id)[^}]+\}/.test(op.path))
    .map((op) => [op.method, op.path, op.operationId]);
}

/** A tenant with one of everything, and its ids by path parameter name. */
async function victim(): Promise<{ t: Tenant; ids: Record<string, string> }> {
  const t = await newTenant({ apiKey: true });
  const agent = await createAgent(t);
  const session = await createSession(t, agent.id);
  await sendMessage(t, session.id, "mine");
  const provider = await createLlmProvider(t);
  const model = await createLlmModel(t, provider.id);
  const mcpServer = await createMcpServer(t);
  const keys = (await (await callAs(t, "/v1/auth/api-keys")).json()) as { data: { id: string }[] };
  const { webhook } = await createReceiverWebhook(t);
  const ids = {
    org_id: t.orgId,
    user_id: t.userId,
    agent_id: agent.id,
    session_id: session.id,
    provider_id: provider.id,
    model_id: model.id,
    mcp_server_id: mcpServer.id,
    key_id: keys.data[0]?.id ?? "",
    webhook_id: webhook.id,
  };
  return { t, ids };
}

/**
 * OWASP API1 (broken object level authorization), for every operation of the OpenAPI document
 * that takes an id: another organization's resource is a 404, exactly like one that does not
 * exist (never 403, which would say it exists), and nothing of it changes.
 */
describe("object-level authorization: every operation with an id, aimed at another organization's resources", () => {
  it("answers 404 on every one, and the owner's resources are untouched", async () => {
    const { t: owner, ids } = await victim();
    const attacker: Caller = await newTenant();
    const operations = await operationsWithIds();
    expect(operations.length).toBeGreaterThan(25);
    const wrong: string[] = [];
    for (const [method, template, operationId] of operations) {
      const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => ids[name] ?? `unknown-${name}`);
      const given = VALID_BODIES[operationId];
      const body = typeof given === "function" ? given(ids) : given;
      const headers: Record<string, string> = template.endsWith("/ws") ? { upgrade: "websocket" } : { accept: "application/json" };
      const res = await callAs(attacker, path, {
        method,
        headers,
        ...(body !== undefined ? { json: body } : method === "POST" ? { json: {} } : {}),
      });
      if (res.status !== 404) {
        const hint =
          body === undefined && res.status === 400 ? ` (a new write operation? give ${operationId} a valid body in VALID_BODIES)` : "";
        wrong.push(`${method} ${template} → ${res.status} ${(await res.text()).slice(0, 200)}${hint}`);
        continue;
      }
      const p = await problem(res);
      expect(p.code).toMatch(/_not_found$/);
    }
    expect(wrong).toEqual([]);

    // The owner sees everything as it was.
    const agent = AgentSchema.parse(await (await callAs(owner, `/v1/agents/${ids.agent_id}`)).json());
    expect(agent).toMatchObject({ name: "Test agent", status: "active" });
    expect((await listMessages(owner, ids.session_id ?? "")).map((m) => m.role)).toContain("user");
    expect(
      (await listMessages(owner, ids.session_id ?? "")).some((m) => m.content.some((c) => c.type === "text" && c.text === "taken over")),
    ).toBe(false);
    for (const path of [
      `/v1/sessions/${ids.session_id}`,
      `/v1/llm-providers/${ids.provider_id}`,
      `/v1/llm-models/${ids.model_id}`,
      `/v1/mcp-servers/${ids.mcp_server_id}`,
      `/v1/orgs/${ids.org_id}`,
      `/v1/webhooks/${ids.webhook_id}`,
    ]) {
      const res = await callAs(owner, path);
      expect(res.status, path).toBe(200);
      expect(JSON.stringify(await res.json()), path).not.toContain("taken over");
    }
    expect((await call("/v1/auth/me", { headers: { authorization: owner.apiKey ?? "" } })).status).toBe(200);
  });
});
