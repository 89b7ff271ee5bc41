import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { memberships } from "../src/db/schema";
import type { Role } from "../src/env";
import { nowIso } from "../src/lib/time";
import { documentedOperations } from "./support/openapi";
import { expectProblem } from "./support/problems";
import { type Caller, callAs } from "./support/requests";
import { createAgent, createLlmModel, createLlmProvider, createMcpServer, createSession } from "./support/resources";
import { newTenant } from "./support/tenants";
import { createReceiverWebhook } from "./support/webhooks";

/**
 * The least role each operation needs (spec §4: members use agents, sessions and messages; admins
 * also manage providers, models and members; owners also manage the org). Operations not listed
 * need a member. Every operation of the document must be classified here or in MEMBER_OPERATIONS,
 * so a new route cannot ship without a decision.
 */
const ELEVATED: Record<string, Exclude<Role, "member">> = {
  updateOrganization: "owner",
  addMember: "admin",
  updateMember: "admin",
  removeMember: "admin",
  createLlmProvider: "admin",
  updateLlmProvider: "admin",
  deleteLlmProvider: "admin",
  reencryptLlmProviderKeys: "admin",
  createLlmModel: "admin",
  updateLlmModel: "admin",
  deleteLlmModel: "admin",
  createMcpServer: "admin",
  updateMcpServer: "admin",
  deleteMcpServer: "admin",
  listWebhooks: "admin",
  createWebhook: "admin",
  getWebhook: "admin",
  updateWebhook: "admin",
  deleteWebhook: "admin",
  rotateWebhookSecret: "admin",
  listWebhookDeliveries: "admin",
  sendWebhookTestEvent: "admin",
};

/** Operations any member may call (or, for the public ones, anyone). */
const MEMBER_OPERATIONS = new Set([
  "getHealth",
  "register",
  "login",
  "refreshToken",
  "logout",
  "getMe",
  "listApiKeys",
  "createApiKey",
  "deleteApiKey",
  "listOrganizations",
  "createOrganization",
  "getOrganization",
  "listMembers",
  "getMember",
  "listAgents",
  "createAgent",
  "getAgent",
  "updateAgent",
  "deleteAgent",
  "listAgentSessions",
  "createAgentSession",
  "listSessions",
  "createSession",
  "getSession",
  "updateSession",
  "deleteSession",
  "listMessages",
  "createMessage",
  "cancelSession",
  "submitToolResults",
  "submitToolApprovals",
  "listOrStreamEvents",
  "streamEvents",
  "streamEventsOverWebSocket",
  "listLlmProviders",
  "getLlmProvider",
  "listLlmProviderModels",
  "listLlmModels",
  "getLlmModel",
  "listCapabilities",
  "getCapability",
  "listHarnesses",
  "getHarness",
  "listMcpServers",
  "getMcpServer",
  "listMcpServerTools",
  "listModels",
  "getModel",
  "listProviders",
  "getProvider",
  "chat",
  "resumeChatStream",
  "runAgUi",
]);

/** Bodies that pass validation, so the role check is what answers. */
const BODIES: Record<string, unknown> = {
  updateOrganization: { name: "renamed" },
  addMember: { email: "nobody@example.test", role: "member" },
  updateMember: { role: "member" },
  createLlmProvider: { name: "p", provider_type: "llmsim" },
  updateLlmProvider: { name: "renamed" },
  createLlmModel: { model_id: "m" },
  updateLlmModel: { display_name: "renamed" },
  createMcpServer: { name: "matrix", url: "https://mcp.example.com/mcp" },
  updateMcpServer: { url: "https://mcp.example.com/other" },
  createWebhook: { url: "https://example.com/hooks", event_types: ["session.deleted"] },
  updateWebhook: { description: "renamed" },
};

const RANK: Record<Role, number> = { member: 0, admin: 1, owner: 2 };

async function documentOperations(): Promise<[string, string, string][]> {
  return (await documentedOperations()).map((op) => [op.method, op.path, op.operationId]);
}

/** A caller with `role` in `orgId` (the membership written directly, so this test does not depend on the members route). */
async function withRole(orgId: string, role: Role): Promise<Caller & { userId: string }> {
  const user = await newTenant();
  await createDb(env.DB).insert(memberships).values({ orgId, userId: user.userId, role, createdAt: nowIso() });
  return { headers: { ...user.headers, "x-org-id": orgId }, userId: user.userId };
}

/** OWASP API5 (broken function level authorization). */
describe("function-level authorization: every operation against each role", () => {
  it("classifies every operation of the document", async () => {
    const unclassified = (await documentOperations()).map(([, , id]) => id).filter((id) => !(id in ELEVATED) && !MEMBER_OPERATIONS.has(id));
    expect(unclassified).toEqual([]);
  });

  it("answers 403 forbidden to a role below the one an operation needs, and lets that role through", async () => {
    const owner = await newTenant();
    const provider = await createLlmProvider(owner, { provider_type: "llmsim" });
    const model = await createLlmModel(owner, provider.id);
    const agent = await createAgent(owner);
    await createSession(owner, agent.id);
    const mcpServer = await createMcpServer(owner, { name: "owned" });
    const { webhook } = await createReceiverWebhook(owner, { eventTypes: ["session.deleted"] });
    const callers = { member: await withRole(owner.orgId, "member"), admin: await withRole(owner.orgId, "admin") };
    const target = await withRole(owner.orgId, "member");
    const ids: Record<string, string> = {
      org_id: owner.orgId,
      user_id: target.userId,
      provider_id: provider.id,
      model_id: model.id,
      mcp_server_id: mcpServer.id,
      webhook_id: webhook.id,
    };
    const wrong: string[] = [];
    for (const [method, template, operationId] of await documentOperations()) {
      const needed = ELEVATED[operationId];
      if (!needed) continue;
      const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => ids[name] ?? name);
      for (const [role, caller] of Object.entries(callers) as [Role, Caller][]) {
        const body = BODIES[operationId];
        const res = await callAs(caller, path, { method, ...(body !== undefined ? { json: body } : {}) });
        const allowed = RANK[role] >= RANK[needed];
        if (!allowed) {
          await expectProblem(res, 403, "forbidden").catch((err: unknown) => wrong.push(`${role} ${method} ${template}: ${String(err)}`));
        } else {
          if (res.status === 403) wrong.push(`${role} ${method} ${template}: 403 for a role that may`);
          await res.body?.cancel();
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
