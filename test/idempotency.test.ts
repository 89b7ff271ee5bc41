import { env } from "cloudflare:workers";
import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { createDb } from "../src/db/client";
import { sha256Hex } from "../src/lib/crypto";
import { declaredRoutes } from "../src/middleware/traits";
import { AgentSchema } from "../src/schemas/agents";
import { MessageSchema } from "../src/schemas/messages";
import { claimKey, completeKey, releaseKey } from "../src/services/idempotency";
import { settledEvents } from "./support/events";
import { everythingUrl } from "./support/mcp";
import { expectProblem } from "./support/problems";
import { type Caller, callAs } from "./support/requests";
import { createAgent, createLlmProvider, createSession, listMessages } from "./support/resources";
import { newTenant, type Tenant } from "./support/tenants";

const agentBody = (name: string) => ({ name, system_prompt: "You are idempotent." });
const post = (caller: Caller, path: string, json: unknown, key: string) =>
  callAs(caller, path, { method: "POST", json, headers: { "idempotency-key": key } });
const activeAgents = async (caller: Caller) => ((await (await callAs(caller, "/v1/agents")).json()) as { total: number }).total;

describe("Idempotency-Key", () => {
  it("answers a retry with the first response, marked as replayed, and creates nothing twice", async () => {
    const t = await newTenant();
    const key = crypto.randomUUID();
    const first = await post(t, "/v1/agents", agentBody("once"), key);
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const created = AgentSchema.parse(await first.json());
    const again = await post(t, "/v1/agents", agentBody("once"), key);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(AgentSchema.parse(await again.json())).toEqual(created);
    expect(await activeAgents(t)).toBe(1);
  });

  it("refuses the key with another request (422), scopes keys to the caller, and remembers only successes", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const key = crypto.randomUUID();
    expect((await post(t, "/v1/agents", agentBody("a"), key)).status).toBe(201);
    await expectProblem(await post(t, "/v1/agents", agentBody("b"), key), 422, "idempotency_key_reused", ["header.idempotency-key"]);
    await expectProblem(await post(t, "/v1/sessions", { agent_id: `agent_${"0".repeat(32)}` }, key), 422, "idempotency_key_reused");
    expect((await post(other, "/v1/agents", agentBody("b"), key)).status).toBe(201); // another caller's key space

    const failing = crypto.randomUUID();
    await expectProblem(await post(t, "/v1/agents", { ...agentBody("c"), capabilities: ["teleport"] }, failing), 422, "unknown_capability");
    const fixed = await post(t, "/v1/agents", agentBody("c"), failing);
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get("idempotent-replayed")).toBeNull();
    await expectProblem(await post(t, "/v1/agents", agentBody("d"), "has spaces"), 400, "validation_failed", ["header.idempotency-key"]);
  });

  it("lets a retry racing its first request create one thing: the other answer is the replay or 409 in progress", async () => {
    const t = await newTenant();
    const key = crypto.randomUUID();
    const answers = await Promise.all([1, 2, 3].map(() => post(t, "/v1/agents", agentBody("raced"), key)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    for (const res of answers) {
      if (res.status === 409) await expectProblem(res, 409, "idempotency_key_in_progress");
      else await res.body?.cancel();
    }
    expect(await activeAgents(t)).toBe(1);
  });

  it("answers 409 while the first request still runs, and a retry takes over a claim whose request died", async () => {
    const t = await newTenant();
    const body = agentBody("held");
    const key = crypto.randomUUID();
    const caller = `${t.userId}:${t.orgId}`;
    const hash = await sha256Hex(`POST /v1/agents\n${JSON.stringify(body)}`);
    const claim = (leaseUntil: number) =>
      env.DB.prepare(
        "INSERT OR REPLACE INTO idempotency_keys (caller, key, request_hash, state, lease_until, expires_at) VALUES (?, ?, ?, 'in_flight', ?, ?)",
      )
        .bind(caller, key, hash, leaseUntil, Date.now() + 86_400_000)
        .run();
    await claim(Date.now() + 60_000);
    const held = await expectProblem(await post(t, "/v1/agents", body, key), 409, "idempotency_key_in_progress");
    expect(held.retry_after_seconds).toBe(1);
    await claim(Date.now() - 1);
    expect((await post(t, "/v1/agents", body, key)).status).toBe(201);
  });

  it("scopes keys to the credential: another API key of the same user does not get the first one's answer", async () => {
    const t = await newTenant({ apiKey: true });
    const second = ((await (await callAs(t, "/v1/auth/api-keys", { method: "POST", json: { name: "second" } })).json()) as { key: string })
      .key;
    const asFirst = { headers: { authorization: `Bearer ${t.apiKey}` } };
    const asSecond = { headers: { authorization: `Bearer ${second}` } };
    const key = crypto.randomUUID();
    const made = AgentSchema.parse(await (await post(asFirst, "/v1/agents", agentBody("per key"), key)).json());
    const other = await post(asSecond, "/v1/agents", agentBody("per key"), key);
    expect(other.status).toBe(201);
    expect(other.headers.get("idempotent-replayed")).toBeNull();
    expect(AgentSchema.parse(await other.json()).id).not.toBe(made.id);
  });

  it("tells a retry that the first request succeeded when its answer cannot be replayed, and creates nothing again", async () => {
    const t = await newTenant();
    const body = agentBody("unreplayable");
    const hash = await sha256Hex(`POST /v1/agents\n${JSON.stringify(body)}`);
    const done = (key: string, sealed: string | null) =>
      env.DB.prepare(
        "INSERT INTO idempotency_keys (caller, key, request_hash, state, status, body, lease_until, expires_at) VALUES (?, ?, ?, 'done', ?, ?, 0, ?)",
      )
        .bind(`${t.userId}:${t.orgId}`, key, hash, sealed === null ? null : 201, sealed, Date.now() + 86_400_000)
        .run();
    // The answer was not stored (sealing or D1 failed after the create), or was sealed with a retired key.
    const notStored = crypto.randomUUID();
    await done(notStored, null);
    const retiredKey = crypto.randomUUID();
    await done(retiredKey, `v1:0badc0de:${btoa("twelve bytes")}:${btoa("sealed with a key that is gone")}`);
    for (const key of [notStored, retiredKey]) {
      const problem = await expectProblem(await post(t, "/v1/agents", body, key), 409, "conflict");
      expect(problem.detail).toContain("cannot be replayed");
    }
    expect(await activeAgents(t)).toBe(0);
  });

  it("lets a request that outlived its lease settle nothing of the claim that took over", async () => {
    const db = createDb(env.DB);
    const caller = `test:${crypto.randomUUID()}`;
    const key = crypto.randomUUID();
    const first = await claimKey(db, env, caller, key, "hash");
    if (first.kind !== "claimed") throw new Error("not claimed");
    await env.DB.prepare("UPDATE idempotency_keys SET lease_until = ? WHERE caller = ? AND key = ?")
      .bind(Date.now() - 1, caller, key)
      .run();
    const takeover = await claimKey(db, env, caller, key, "hash");
    if (takeover.kind !== "claimed") throw new Error("not taken over");
    // The first request, late: neither its failure nor its success touches the new claim.
    await releaseKey(db, caller, key, first.lease);
    await completeKey(db, env, caller, key, first.lease, { status: 201, body: "{}", contentType: "application/json" });
    const row = await env.DB.prepare("SELECT state, lease_until FROM idempotency_keys WHERE caller = ? AND key = ?")
      .bind(caller, key)
      .first();
    expect(row).toEqual({ state: "in_flight", lease_until: takeover.lease });
  });

  it("replays a created API key (the response holds the key) without storing it in clear", async () => {
    const t = await newTenant();
    const key = crypto.randomUUID();
    const first = (await (await post(t, "/v1/auth/api-keys", { name: "ci" }, key)).json()) as { key: string };
    const again = await post(t, "/v1/auth/api-keys", { name: "ci" }, key);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(((await again.json()) as { key: string }).key).toBe(first.key);
    const row = await env.DB.prepare("SELECT body FROM idempotency_keys WHERE key = ?").bind(key).first<{ body: string }>();
    expect(row?.body).toBeTruthy();
    expect(row?.body).not.toContain(first.key);
  });

  it("posts a message once: a retry, even racing the first, gets the stored message and runs no second turn", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    const body = { message: { role: "user", content: [{ type: "text", text: "exactly once" }] } };
    const key = crypto.randomUUID();
    const [a, b] = await Promise.all([
      post(t, `/v1/sessions/${session.id}/messages`, body, key),
      post(t, `/v1/sessions/${session.id}/messages`, body, key),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    const messages = [MessageSchema.parse(await a.json()), MessageSchema.parse(await b.json())];
    expect(messages[0]).toEqual(messages[1]);
    expect([a.headers.get("idempotent-replayed"), b.headers.get("idempotent-replayed")].sort()).toEqual(["true", null].sort());
    const events = await settledEvents(t, session.id);
    expect(events.filter((e) => e.type === "turn.started")).toHaveLength(1);
    expect((await listMessages(t, session.id)).filter((m) => m.role === "user")).toHaveLength(1);
    await expectProblem(
      await post(t, `/v1/sessions/${session.id}/messages`, { message: { role: "user", content: [{ type: "text", text: "other" }] } }, key),
      422,
      "idempotency_key_reused",
    );
  });
});

/** How many of a list route's items the caller sees: `total` of a paginated list, else the length of `data`. */
const listed = async (caller: Caller, path: string) => {
  const res = await callAs(caller, path);
  expect(res.status, path).toBe(200);
  const page = z.object({ data: z.array(z.unknown()), total: z.number().int().optional() }).parse(await res.json());
  return page.total ?? page.data.length;
};

/**
 * A creating request to one idempotent route: its path parameters, a valid body, another valid
 * body, and how many of what it creates exist.
 */
interface Creation {
  params?: Record<string, string>;
  body: unknown;
  otherBody: unknown;
  count: () => Promise<number>;
}

/** One case per idempotent route; `prepare` makes what the request needs in `t`'s org. */
const ROUTE_CASES: { path: string; prepare: (t: Tenant) => Promise<Creation> }[] = [
  {
    path: "/v1/agents",
    prepare: async (t) => ({ body: agentBody("table"), otherBody: agentBody("other"), count: () => listed(t, "/v1/agents") }),
  },
  {
    path: "/v1/sessions",
    prepare: async (t) => {
      const agent = await createAgent(t);
      return {
        body: { agent_id: agent.id, title: "table" },
        otherBody: { agent_id: agent.id, title: "other" },
        count: () => listed(t, "/v1/sessions"),
      };
    },
  },
  {
    path: "/v1/agents/{agent_id}/sessions",
    prepare: async (t) => {
      const agent = await createAgent(t);
      return {
        params: { agent_id: agent.id },
        body: { title: "table" },
        otherBody: { title: "other" },
        count: () => listed(t, `/v1/agents/${agent.id}/sessions`),
      };
    },
  },
  {
    path: "/v1/sessions/{session_id}/messages",
    prepare: async (t) => {
      const session = await createSession(t, (await createAgent(t)).id);
      const text = (s: string) => ({ message: { role: "user", content: [{ type: "text", text: s }] } });
      // The turns that ran: every posted message starts one (read once the session settled).
      const turns = async () =>
        (await listMessages(t, session.id)).length === 0
          ? 0
          : (await settledEvents(t, session.id)).filter((e) => e.type === "turn.started").length;
      return { params: { session_id: session.id }, body: text("table"), otherBody: text("other"), count: turns };
    },
  },
  {
    path: "/v1/llm-providers",
    prepare: async (t) => ({
      body: { name: "table", provider_type: "openai" },
      otherBody: { name: "other", provider_type: "openai" },
      count: () => listed(t, "/v1/llm-providers"),
    }),
  },
  {
    path: "/v1/llm-providers/{provider_id}/models",
    prepare: async (t) => {
      const provider = await createLlmProvider(t);
      return {
        params: { provider_id: provider.id },
        body: { model_id: "table-model" },
        otherBody: { model_id: "other-model" },
        count: () => listed(t, `/v1/llm-providers/${provider.id}/models`),
      };
    },
  },
  {
    path: "/v1/mcp-servers",
    prepare: async (t) => ({
      body: { name: "table", url: everythingUrl() },
      otherBody: { name: "other", url: everythingUrl() },
      count: () => listed(t, "/v1/mcp-servers"),
    }),
  },
  {
    path: "/v1/auth/api-keys",
    prepare: async (t) => ({ body: { name: "table" }, otherBody: { name: "other" }, count: () => listed(t, "/v1/auth/api-keys") }),
  },
  {
    path: "/v1/orgs",
    prepare: async (t) => ({ body: { name: "Table" }, otherBody: { name: "Other" }, count: () => listed(t, "/v1/orgs") }),
  },
  {
    path: "/v1/orgs/{org_id}/members",
    prepare: async (t) => {
      const joining = await newTenant();
      return {
        params: { org_id: t.orgId },
        body: { email: joining.email },
        otherBody: { email: joining.email, role: "admin" },
        count: () => listed(t, `/v1/orgs/${t.orgId}/members`),
      };
    },
  },
  {
    path: "/v1/webhooks",
    prepare: async (t) => ({
      body: { url: "https://example.com/table", event_types: ["session.idle"] },
      otherBody: { url: "https://example.com/other", event_types: ["session.idle"] },
      count: () => listed(t, "/v1/webhooks"),
    }),
  },
];

describe("Idempotency-Key replays and authorization", () => {
  it("answers a replay only after the same checks as a first request: a removed admin replaying an add-member call gets 404, not the old 201", async () => {
    const owner = await newTenant();
    const admin = await newTenant();
    const newcomer = await newTenant();
    const other = await newTenant();
    expect(
      (await callAs(owner, `/v1/orgs/${owner.orgId}/members`, { method: "POST", json: { email: admin.email, role: "admin" } })).status,
    ).toBe(201);
    // The admin acts with their own org in X-Org-Id: the key must still be the path's org's.
    const add = (caller: Caller) =>
      callAs(caller, `/v1/orgs/${owner.orgId}/members`, {
        method: "POST",
        headers: { "idempotency-key": "add-newcomer", "x-org-id": admin.orgId },
        json: { email: newcomer.email, role: "member" },
      });
    expect((await add(admin)).status).toBe(201);
    expect((await callAs(owner, `/v1/orgs/${owner.orgId}/members/${admin.userId}`, { method: "DELETE" })).status).toBe(204);
    await expectProblem(await add(admin), 404, "org_not_found");
    // Nor does a key used in one org answer for another org's path.
    expect(
      (await callAs(owner, `/v1/orgs/${owner.orgId}/members`, { method: "POST", json: { email: other.email, role: "admin" } })).status,
    ).toBe(201);
    const asOther = (orgId: string) =>
      callAs(other, `/v1/orgs/${orgId}/members`, {
        method: "POST",
        headers: { "idempotency-key": "same-key", "x-org-id": other.orgId },
        json: { email: newcomer.email, role: "member" },
      });
    expect((await asOther(other.orgId)).status).toBe(201);
    const second = await asOther(owner.orgId);
    expect(second.headers.get("idempotent-replayed")).toBeNull();
    await second.text();
  });
});

describe("Idempotency-Key on every creating route", () => {
  it("has a case for every route that declares itself idempotent", () => {
    const idempotent = declaredRoutes(createApp()).filter((r) => r.traits.idempotent);
    expect(idempotent.every((r) => r.method === "POST")).toBe(true);
    expect(ROUTE_CASES.map((c) => c.path).sort()).toEqual(idempotent.map((r) => r.path).sort());
  });

  it.each(ROUTE_CASES)(
    "POST $path: a retry replays the first answer and creates nothing twice; another body is 422",
    async ({ path, prepare }) => {
      const t = await newTenant();
      const { params = {}, body, otherBody, count } = await prepare(t);
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? `{${name}}`);
      expect(url, "every path parameter is filled").not.toContain("{");
      const before = await count();
      const key = crypto.randomUUID();

      const first = await post(t, url, body, key);
      const firstText = await first.text();
      expect(first.status, firstText).toBe(201);
      expect(first.headers.get("idempotent-replayed")).toBeNull();

      const again = await post(t, url, body, key);
      const againText = await again.text();
      expect(again.status, againText).toBe(first.status);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(again.headers.get("content-type")).toBe(first.headers.get("content-type"));
      expect(againText, "the same body, byte for byte").toBe(firstText);
      expect(await count()).toBe(before + 1);

      await expectProblem(await post(t, url, otherBody, key), 422, "idempotency_key_reused", ["header.idempotency-key"]);
      expect(await count()).toBe(before + 1);
    },
  );
});
