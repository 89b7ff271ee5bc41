import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { BOOKMARK_HEADER } from "../src/middleware/db";
import { AgentSchema } from "../src/schemas/agents";
import { expectProblem } from "./support/problems";
import { callAs } from "./support/requests";
import { createAgent } from "./support/resources";
import { newTenant } from "./support/tenants";

/** A bookmark from a response; every answer of the API carries one. */
function bookmarkOf(res: Response): string {
  const bookmark = res.headers.get(BOOKMARK_HEADER);
  expect(bookmark).toMatch(/^[0-9a-f]{8}-/);
  return bookmark ?? "";
}

describe("reads from replicas with D1 bookmarks", () => {
  it("answers every request with a bookmark; a write's bookmark sent back makes the next read see the write", async () => {
    const t = await newTenant();
    const created = await callAs(t, "/v1/agents", { method: "POST", json: { name: "Replicated", system_prompt: "Hi." } });
    expect(created.status).toBe(201);
    const agent = AgentSchema.parse(await created.json());
    const afterCreate = bookmarkOf(created);

    const patched = await callAs(t, `/v1/agents/${agent.id}`, {
      method: "PATCH",
      json: { name: "Renamed" },
      headers: { [BOOKMARK_HEADER]: afterCreate },
    });
    expect(patched.status).toBe(200);
    const afterPatch = bookmarkOf(patched);
    expect(afterPatch >= afterCreate).toBe(true);

    const read = await callAs(t, `/v1/agents/${agent.id}`, { headers: { [BOOKMARK_HEADER]: afterPatch } });
    expect(read.status).toBe(200);
    expect(AgentSchema.parse(await read.json()).name).toBe("Renamed");
    expect(bookmarkOf(read) >= afterPatch).toBe(true);

    const list = await callAs(t, "/v1/agents", { headers: { [BOOKMARK_HEADER]: afterPatch } });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { data: Array<{ id: string; name: string }> }).data).toContainEqual(
      expect.objectContaining({ id: agent.id, name: "Renamed" }),
    );
  });

  it("hands back the bookmark of a session's index write, so the creator's next list shows the session, and a delete's, so it shows it gone", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    const created = await callAs(t, `/v1/agents/${agent.id}/sessions`, { method: "POST", json: {} });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { id: string };
    const afterCreate = bookmarkOf(created);
    const listed = await callAs(t, "/v1/sessions", { headers: { [BOOKMARK_HEADER]: afterCreate } });
    expect(((await listed.json()) as { data: Array<{ id: string }> }).data.map((s) => s.id)).toContain(session.id);

    const deleted = await callAs(t, `/v1/sessions/${session.id}`, { method: "DELETE", headers: { [BOOKMARK_HEADER]: bookmarkOf(listed) } });
    expect(deleted.status).toBe(204);
    const afterDelete = bookmarkOf(deleted);
    expect(afterDelete > afterCreate).toBe(true);
    const relisted = await callAs(t, "/v1/sessions", { headers: { [BOOKMARK_HEADER]: afterDelete } });
    expect(((await relisted.json()) as { data: Array<{ id: string }> }).data.map((s) => s.id)).not.toContain(session.id);
  });

  it("reads a GET from the nearest replica, or one as new as the bookmark sent; a write, and a route that declares reads: latest, from the primary", async () => {
    const t = await newTenant();
    const spy = vi.spyOn(env.DB, "withSession");
    const constraintOf = async (path: string, init: Parameters<typeof callAs>[2] = {}) => {
      spy.mockClear();
      const res = await callAs(t, path, init);
      await res.body?.cancel();
      expect(res.status).toBeLessThan(300);
      return spy.mock.calls[0]?.[0];
    };
    try {
      expect(await constraintOf("/v1/agents")).toBe("first-unconstrained");
      const created = await callAs(t, "/v1/agents", { method: "POST", json: { name: "Spied", system_prompt: "Hi." } });
      const bookmark = bookmarkOf(created);
      await created.body?.cancel();
      expect(await constraintOf("/v1/agents", { headers: { [BOOKMARK_HEADER]: bookmark } })).toBe(bookmark);
      expect(await constraintOf("/v1/agents", { method: "POST", json: { name: "Spied 2", system_prompt: "Hi." } })).toBe("first-primary");
      expect(await constraintOf("/v1/auth/api-keys")).toBe("first-primary");
    } finally {
      spy.mockRestore();
    }
  });

  it("refuses a bookmark it could not have sent with a 400 naming the header", async () => {
    const t = await newTenant();
    for (const bad of ["yesterday", "0000002f", "'; drop table agents; --"]) {
      await expectProblem(await callAs(t, "/v1/agents", { headers: { [BOOKMARK_HEADER]: bad } }), 400, "validation_failed", [
        `header.${BOOKMARK_HEADER}`,
      ]);
    }
  });
});
