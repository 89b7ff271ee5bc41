import { describe, expect, it } from "vitest";
import { documentedOperations } from "../support/openapi";
import { callAs } from "../support/requests";
import { createAgent, createSession } from "../support/resources";
import { newTenant } from "../support/tenants";

/** More than the per-user stream cap (100): if a HEAD held a slot, the GET after them would be refused. */
const HEADS = 120;

describe("HEAD on every GET route of the document", () => {
  // 120 HEADs on each stream route, one after another: more than the default 20 s on a busy machine.
  it("never opens a stream: headers only, no 5xx, and the caller's stream slots stay free", { timeout: 60_000 }, async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    const gets = (await documentedOperations()).filter((op) => op.method === "GET" && op.path.includes("{session_id}"));
    expect(gets.map((op) => op.path)).toEqual(
      expect.arrayContaining(["/v1/sessions/{session_id}/sse", "/v1/sessions/{session_id}/events", "/v1/sessions/{session_id}/ws"]),
    );
    for (const op of gets) {
      const path = op.path.replace("{session_id}", session.id);
      for (let i = 0; i < (/\/(sse|events|ws)$/.test(path) ? HEADS : 1); i += 1) {
        const res = await callAs(t, path, { method: "HEAD" });
        expect(res.status, `HEAD ${op.path}`).toBeLessThan(500);
        expect(await res.text(), `HEAD ${op.path}`).toBe("");
      }
    }
    const stream = await callAs(t, `/v1/sessions/${session.id}/sse`);
    expect(stream.status).toBe(200);
    await stream.body?.cancel();
  });
});
