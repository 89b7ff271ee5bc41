import { describe, expect, it } from "vitest";
import { expectProblem } from "./support/problems";
import { call, callAs } from "./support/requests";
import { createAgent, createSession } from "./support/resources";
import { SocketReader } from "./support/socket-reader";
import { newTenant } from "./support/tenants";

describe("credentials in a WebSocket's query or subprotocol", () => {
  it("are accepted on /ws only: any other /v1 route with Upgrade: websocket answers 401 to ?access_token= and bearer.<token>", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    for (const path of [
      "/v1/agents",
      `/v1/sessions/${session.id}`,
      `/v1/sessions/${session.id}/events`,
      `/v1/sessions/${session.id}/sse`,
      "/v1/auth/me",
    ]) {
      await expectProblem(
        await call(`${path}${path.includes("?") ? "&" : "?"}access_token=${t.token}`, { headers: { upgrade: "websocket" } }),
        401,
        "unauthorized",
      );
      await expectProblem(
        await call(path, { headers: { upgrade: "websocket", "sec-websocket-protocol": `everruns.v1, bearer.${t.token}` } }),
        401,
        "unauthorized",
      );
    }
    const ws = await call(`/v1/sessions/${session.id}/ws?access_token=${t.token}`, { headers: { upgrade: "websocket" } });
    expect(ws.status).toBe(101);
    new SocketReader(ws).close();
  });

  it("let a browser choose the org on /ws the way it sends the token: ?org_id= or the subprotocol org.<org id>", async () => {
    const owner = await newTenant();
    const member = await newTenant();
    expect(
      (await callAs(owner, `/v1/orgs/${owner.orgId}/members`, { method: "POST", json: { email: member.email, role: "member" } })).status,
    ).toBe(201);
    const session = await createSession(owner, (await createAgent(owner)).id);
    const byQuery = await call(`/v1/sessions/${session.id}/ws?access_token=${member.token}&org_id=${owner.orgId}`, {
      headers: { upgrade: "websocket" },
    });
    expect(byQuery.status).toBe(101);
    new SocketReader(byQuery).close();
    const byProtocol = await call(`/v1/sessions/${session.id}/ws`, {
      headers: { upgrade: "websocket", "sec-websocket-protocol": `everruns.v1, bearer.${member.token}, org.${owner.orgId}` },
    });
    expect(byProtocol.status).toBe(101);
    expect(byProtocol.headers.get("sec-websocket-protocol")).toBe("everruns.v1");
    new SocketReader(byProtocol).close();
    // Not a member: as for any org of someone else.
    const stranger = await newTenant();
    await expectProblem(
      await call(`/v1/sessions/${session.id}/ws?access_token=${stranger.token}&org_id=${owner.orgId}`, {
        headers: { upgrade: "websocket" },
      }),
      404,
      "org_not_found",
    );
    // Elsewhere the query parameter is not an org choice.
    expect((await callAs(member, `/v1/agents?org_id=${owner.orgId}`)).status).toBe(200);
  });
});
