import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { AuthTokensSchema, MeSchema } from "../src/schemas/auth";
import { MemberSchema, OrganizationSchema } from "../src/schemas/orgs";
import { expectProblem } from "./support/problems";
import { call, callAs, type RequestOptions } from "./support/requests";
import { newTenant, type Tenant } from "./support/tenants";

const OrgList = z.object({ data: z.array(OrganizationSchema) });
const MemberList = z.object({ data: z.array(MemberSchema) });
const UNKNOWN_ORG = "org_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f";

/** Adds `who` to `owner`'s org with `role`; returns `who` acting in that org. */
async function join(owner: Tenant, who: Tenant, role: "owner" | "admin" | "member"): Promise<Tenant> {
  const res = await callAs(owner, `/v1/orgs/${owner.orgId}/members`, { method: "POST", json: { email: who.email, role } });
  expect(res.status).toBe(201);
  return { ...who, headers: { ...who.headers, "x-org-id": owner.orgId } };
}

describe("organizations", () => {
  it("lists the personal org, creates another (caller is owner), gets and renames it", async () => {
    const t = await newTenant({ name: "Grace" });
    const initial = OrgList.parse(await (await callAs(t, "/v1/orgs")).json());
    expect(initial.data).toEqual([expect.objectContaining({ id: t.orgId, name: "Grace's organization", role: "owner" })]);

    const created = await callAs(t, "/v1/orgs", { method: "POST", json: { name: "  Acme  " } });
    expect(created.status).toBe(201);
    const org = OrganizationSchema.parse(await created.json());
    expect(org).toMatchObject({ name: "Acme", role: "owner" });
    expect(org.id).toMatch(/^org_[0-9a-f]{32}$/);

    const list = OrgList.parse(await (await callAs(t, "/v1/orgs")).json());
    expect(list.data.map((o) => o.id).sort()).toEqual([t.orgId, org.id].sort());

    const got = await callAs(t, `/v1/orgs/${org.id}`);
    expect(got.status).toBe(200);
    expect(OrganizationSchema.parse(await got.json())).toEqual(org);

    const renamed = await callAs(t, `/v1/orgs/${org.id}`, { method: "PATCH", json: { name: "Acme Inc" } });
    expect(renamed.status).toBe(200);
    expect(OrganizationSchema.parse(await renamed.json())).toMatchObject({ id: org.id, name: "Acme Inc", role: "owner" });

    // The new org's members: just its creator.
    const members = MemberList.parse(await (await callAs(t, `/v1/orgs/${org.id}/members`)).json());
    expect(members.data).toEqual([expect.objectContaining({ user_id: t.userId, email: t.email, role: "owner" })]);
  });

  it("validates bodies and ids naming the field", async () => {
    const t = await newTenant();
    await expectProblem(await callAs(t, "/v1/orgs", { method: "POST", json: { name: "   " } }), 400, "validation_failed", ["body.name"]);
    await expectProblem(await callAs(t, "/v1/orgs/agent_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f"), 400, "invalid_id", ["path.org_id"]);
    await expectProblem(await callAs(t, "/v1/orgs/nope/members"), 400, "invalid_id", ["path.org_id"]);
    await expectProblem(
      await callAs(t, `/v1/orgs/${t.orgId}/members/nope`, { method: "PATCH", json: { role: "admin" } }),
      400,
      "invalid_id",
      ["path.user_id"],
    );
  });

  it("404s another org's id on every org route, exactly like an unknown id", async () => {
    const [a, b] = [await newTenant(), await newTenant()];
    const bMember = `/v1/orgs/${b.orgId}/members/${b.userId}`;
    const attempts: [string, RequestOptions][] = [
      [`/v1/orgs/${b.orgId}`, {}],
      [`/v1/orgs/${b.orgId}`, { method: "PATCH", json: { name: "mine now" } }],
      [`/v1/orgs/${b.orgId}/members`, {}],
      [`/v1/orgs/${b.orgId}/members`, { method: "POST", json: { email: a.email, role: "owner" } }],
      [bMember, {}],
      [bMember, { method: "PATCH", json: { role: "member" } }],
      [bMember, { method: "DELETE" }],
    ];
    for (const [path, init] of attempts) {
      const foreign = await expectProblem(await callAs(a, path, init), 404, "org_not_found");
      const unknown = await expectProblem(await callAs(a, path.replace(b.orgId, UNKNOWN_ORG), init), 404, "org_not_found");
      expect({ ...foreign, request_id: "" }).toEqual({ ...unknown, request_id: "" });
    }
    expect(OrgList.parse(await (await callAs(a, "/v1/orgs")).json()).data.map((o) => o.id)).toEqual([a.orgId]);
  });

  it("lets an API key see only the org it is bound to", async () => {
    const owner = await newTenant();
    const t = await newTenant({ apiKey: true });
    await join(owner, t, "admin");
    const key = { headers: { authorization: t.apiKey ?? "" } };
    expect(OrgList.parse(await (await callAs(key, "/v1/orgs")).json()).data.map((o) => o.id)).toEqual([t.orgId]);
    await expectProblem(await callAs(key, `/v1/orgs/${owner.orgId}`), 404, "org_not_found");
    expect((await callAs(t, `/v1/orgs/${owner.orgId}`)).status).toBe(200);
  });
});

describe("members and roles", () => {
  it("adds an existing user by email, changes their role, removes them", async () => {
    const owner = await newTenant();
    const other = await newTenant({ name: "Linus" });
    const add = await callAs(owner, `/v1/orgs/${owner.orgId}/members`, { method: "POST", json: { email: other.email.toUpperCase() } });
    expect(add.status).toBe(201);
    expect(MemberSchema.parse(await add.json())).toMatchObject({
      user_id: other.userId,
      email: other.email,
      name: "Linus",
      role: "member",
    });

    const asOther = { headers: { ...other.headers, "x-org-id": owner.orgId } };
    expect((await callAs(asOther, "/v1/agents")).status).toBe(200);

    const promote = await callAs(owner, `/v1/orgs/${owner.orgId}/members/${other.userId}`, { method: "PATCH", json: { role: "admin" } });
    expect(promote.status).toBe(200);
    expect(MemberSchema.parse(await promote.json()).role).toBe("admin");
    const list = MemberList.parse(await (await callAs(asOther, `/v1/orgs/${owner.orgId}/members`)).json());
    expect(list.data.map((m) => [m.user_id, m.role])).toEqual([
      [owner.userId, "owner"],
      [other.userId, "admin"],
    ]);

    expect((await callAs(owner, `/v1/orgs/${owner.orgId}/members/${other.userId}`, { method: "DELETE" })).status).toBe(204);
    await expectProblem(await callAs(asOther, "/v1/agents"), 404, "org_not_found");
    await expectProblem(await callAs(other, `/v1/orgs/${owner.orgId}`), 404, "org_not_found");
  });

  it("gets one member (any member may), 404 member_not_found for a non-member, 400 for a malformed id", async () => {
    const owner = await newTenant({ name: "Owner" });
    const member = await join(owner, await newTenant({ name: "Mia" }), "member");
    const outsider = await newTenant();
    const base = `/v1/orgs/${owner.orgId}/members`;
    for (const who of [owner, member]) {
      const res = await callAs(who, `${base}/${member.userId}`);
      expect(res.status).toBe(200);
      expect(MemberSchema.parse(await res.json())).toMatchObject({
        user_id: member.userId,
        email: member.email,
        name: "Mia",
        role: "member",
      });
    }
    const self = MemberSchema.parse(await (await callAs(member, `${base}/${owner.userId}`)).json());
    expect(self).toMatchObject({ user_id: owner.userId, role: "owner" });
    await expectProblem(await callAs(owner, `${base}/${outsider.userId}`), 404, "member_not_found");
    await expectProblem(await callAs(owner, `${base}/agent_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f`), 400, "invalid_id", ["path.user_id"]);
    // Another org's member list stays hidden, exactly like an unknown org.
    await expectProblem(await callAs(outsider, `${base}/${owner.userId}`), 404, "org_not_found");
  });

  it("answers 404 user_not_found, 409 conflict and 404 member_not_found where they apply", async () => {
    const owner = await newTenant();
    const other = await newTenant();
    const path = `/v1/orgs/${owner.orgId}/members`;
    await expectProblem(
      await callAs(owner, path, { method: "POST", json: { email: `nobody-${crypto.randomUUID()}@example.test` } }),
      404,
      "user_not_found",
    );
    await expectProblem(await callAs(owner, path, { method: "POST", json: { email: owner.email } }), 409, "conflict");
    await expectProblem(
      await callAs(owner, `${path}/${other.userId}`, { method: "PATCH", json: { role: "admin" } }),
      404,
      "member_not_found",
    );
    await expectProblem(await callAs(owner, `${path}/${other.userId}`, { method: "DELETE" }), 404, "member_not_found");
    await expectProblem(await callAs(owner, path, { method: "POST", json: { email: "x", role: "boss" } }), 400, "validation_failed", [
      "body.email",
      "body.role",
    ]);
  });

  it("403s members on admin routes and admins on owner routes", async () => {
    const owner = await newTenant();
    const member = await join(owner, await newTenant(), "member");
    const admin = await join(owner, await newTenant(), "admin");
    const third = await newTenant();
    const base = `/v1/orgs/${owner.orgId}`;

    // Members can read the org and its members, nothing more.
    expect((await callAs(member, base)).status).toBe(200);
    expect((await callAs(member, `${base}/members`)).status).toBe(200);
    const memberAttempts: [string, RequestOptions][] = [
      [`${base}/members`, { method: "POST", json: { email: third.email } }],
      [`${base}/members/${admin.userId}`, { method: "PATCH", json: { role: "member" } }],
      [`${base}/members/${admin.userId}`, { method: "DELETE" }],
      [base, { method: "PATCH", json: { name: "renamed" } }],
    ];
    for (const [path, init] of memberAttempts) await expectProblem(await callAs(member, path, init), 403, "forbidden");

    // Admins manage members but cannot grant owner, touch an owner, or rename the org.
    const adminAttempts: [string, RequestOptions][] = [
      [`${base}/members`, { method: "POST", json: { email: third.email, role: "owner" } }],
      [`${base}/members/${member.userId}`, { method: "PATCH", json: { role: "owner" } }],
      [`${base}/members/${admin.userId}`, { method: "PATCH", json: { role: "owner" } }],
      [`${base}/members/${owner.userId}`, { method: "PATCH", json: { role: "member" } }],
      [`${base}/members/${owner.userId}`, { method: "DELETE" }],
      [base, { method: "PATCH", json: { name: "renamed" } }],
    ];
    for (const [path, init] of adminAttempts) await expectProblem(await callAs(admin, path, init), 403, "forbidden");
    expect((await callAs(admin, `${base}/members`, { method: "POST", json: { email: third.email } })).status).toBe(201);
    expect((await callAs(admin, `${base}/members/${member.userId}`, { method: "PATCH", json: { role: "admin" } })).status).toBe(200);
    expect((await callAs(admin, `${base}/members/${third.userId}`, { method: "DELETE" })).status).toBe(204);
  });

  it("keeps the last owner: demoting or removing them is 422 invalid_state; with two owners it works", async () => {
    const owner = await newTenant();
    const self = `/v1/orgs/${owner.orgId}/members/${owner.userId}`;
    await expectProblem(await callAs(owner, self, { method: "PATCH", json: { role: "admin" } }), 422, "invalid_state");
    await expectProblem(await callAs(owner, self, { method: "DELETE" }), 422, "invalid_state");

    const second = await join(owner, await newTenant(), "owner");
    expect((await callAs(second, self, { method: "PATCH", json: { role: "admin" } })).status).toBe(200);
    const secondSelf = `/v1/orgs/${owner.orgId}/members/${second.userId}`;
    await expectProblem(await callAs(second, secondSelf, { method: "DELETE" }), 422, "invalid_state");
    const roles = MemberList.parse(await (await callAs(second, `/v1/orgs/${owner.orgId}/members`)).json());
    expect(roles.data.filter((m) => m.role === "owner").map((m) => m.user_id)).toEqual([second.userId]);
  });

  it("never lets two owners demote each other into an ownerless org", async () => {
    const owner = await newTenant();
    const second = await join(owner, await newTenant(), "owner");
    const results = await Promise.all([
      callAs(owner, `/v1/orgs/${owner.orgId}/members/${second.userId}`, { method: "PATCH", json: { role: "member" } }),
      callAs(second, `/v1/orgs/${owner.orgId}/members/${owner.userId}`, { method: "PATCH", json: { role: "member" } }),
    ]);
    for (const r of results) await r.body?.cancel();
    const roles = MemberList.parse(await (await callAs(owner, `/v1/orgs/${owner.orgId}/members`)).json());
    expect(roles.data.filter((m) => m.role === "owner")).toHaveLength(1);
  });

  it("revokes a removed member's API keys of that org", async () => {
    const owner = await newTenant();
    const t = await newTenant();
    const inOrg = await join(owner, t, "member");
    const created = await callAs(inOrg, "/v1/auth/api-keys", { method: "POST", json: { name: "k" } });
    const { key } = (await created.json()) as { key: string };
    expect((await call("/v1/agents", { headers: { authorization: key } })).status).toBe(200);
    expect((await callAs(owner, `/v1/orgs/${owner.orgId}/members/${t.userId}`, { method: "DELETE" })).status).toBe(204);
    await expectProblem(await call("/v1/agents", { headers: { authorization: key } }), 401, "unauthorized");
    // Re-adding them does not bring the old key back.
    await join(owner, t, "member");
    await expectProblem(await call("/v1/agents", { headers: { authorization: key } }), 401, "unauthorized");
  });
});

describe("a user who belongs to no organization", () => {
  /** A user whose only org got a second owner, who then removed them: no membership left at all. */
  async function orphan(): Promise<Tenant> {
    const t = await newTenant();
    const second = await join(t, await newTenant(), "owner");
    expect((await callAs(second, `/v1/orgs/${t.orgId}/members/${t.userId}`, { method: "DELETE" })).status).toBe(204);
    return t;
  }

  it("can still see who they are, refresh, sign out and list their (no) organizations", async () => {
    const t = await orphan();
    const me = await callAs(t, "/v1/auth/me");
    expect(me.status).toBe(200);
    expect(MeSchema.parse(await me.json())).toMatchObject({ user: { id: t.userId }, org: null, role: null });
    expect(OrgList.parse(await (await callAs(t, "/v1/orgs")).json()).data).toEqual([]);

    const refreshed = await call("/v1/auth/refresh", { method: "POST", json: { refresh_token: t.refreshToken } });
    expect(refreshed.status).toBe(200);
    const tokens = AuthTokensSchema.parse(await refreshed.json());
    const next = { headers: { authorization: `Bearer ${tokens.access_token}` } };
    expect((await callAs(next, "/v1/auth/logout", { method: "POST", json: { refresh_token: tokens.refresh_token } })).status).toBe(204);
  });

  it("gets 404 org_not_found everywhere else, and for an X-Org-Id even on those routes", async () => {
    const t = await orphan();
    const attempts: [string, RequestOptions][] = [
      ["/v1/agents", {}],
      ["/v1/agents", { method: "POST", json: { name: "a", system_prompt: "b" } }],
      ["/v1/sessions", {}],
      ["/v1/llm-models", {}],
      ["/v1/capabilities", {}],
      ["/v1/auth/api-keys", {}],
      ["/v1/auth/api-keys", { method: "POST", json: { name: "k" } }],
      [`/v1/orgs/${t.orgId}`, {}],
      [`/v1/orgs/${t.orgId}/members`, {}],
    ];
    for (const [path, init] of attempts) await expectProblem(await callAs(t, path, init), 404, "org_not_found");
    await expectProblem(await callAs(t, "/v1/auth/me", { headers: { "x-org-id": t.orgId } }), 404, "org_not_found");
    await expectProblem(await callAs(t, "/v1/orgs", { headers: { "x-org-id": UNKNOWN_ORG } }), 404, "org_not_found");
  });

  it("creates an organization and from then on acts in it as its owner", async () => {
    const t = await orphan();
    const created = await callAs(t, "/v1/orgs", { method: "POST", json: { name: "Fresh start" } });
    expect(created.status).toBe(201);
    const org = OrganizationSchema.parse(await created.json());
    const me = MeSchema.parse(await (await callAs(t, "/v1/auth/me")).json());
    expect(me).toMatchObject({ org: { id: org.id, role: "owner" }, role: "owner" });
    expect((await callAs(t, "/v1/agents")).status).toBe(200);
  });

  it("creates it once with an Idempotency-Key: the retry is the replay", async () => {
    const t = await orphan();
    const init = { method: "POST", json: { name: "Once" }, headers: { "idempotency-key": crypto.randomUUID() } };
    const first = await callAs(t, "/v1/orgs", init);
    expect(first.status).toBe(201);
    const again = await callAs(t, "/v1/orgs", init);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(OrganizationSchema.parse(await again.json())).toEqual(OrganizationSchema.parse(await first.json()));
    expect(OrgList.parse(await (await callAs(t, "/v1/orgs")).json()).data).toHaveLength(1);
  });
});
