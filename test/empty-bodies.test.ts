import { describe, expect, it } from "vitest";
import { documentedOperations } from "./support/openapi";
import { callAs } from "./support/requests";
import { createAgent, createSession } from "./support/resources";
import { newTenant } from "./support/tenants";

/** A well-formed id of `prefix` that names nothing. */
const unknownId = (prefix: string) => `${prefix}_${"0".repeat(31)}1`;

/** Path parameter name → the id prefix it takes. */
const PREFIX: Record<string, string> = {
  agent_id: "agent",
  session_id: "session",
  provider_id: "provider",
  model_id: "model",
  key_id: "key",
  org_id: "org",
  user_id: "user",
  harness_id: "harness",
  capability_id: "capability",
};

/**
 * What an HTTP client sends for a body-less call with the SDK's default header: `Content-Type:
 * application/json` and `Content-Length: 0`, so the request has a body, and it is empty.
 */
const EMPTY_JSON = { headers: { "content-type": "application/json", "content-length": "0" }, body: "" };

describe("Content-Type: application/json with no body (what the official SDKs send on body-less calls)", () => {
  it("is read as no body on every POST, PATCH and DELETE of the document: never 400 invalid_json or 415", async () => {
    const t = await newTenant();
    const agent = await createAgent(t);
    const session = await createSession(t, agent.id);
    const real: Record<string, string> = { session_id: session.id, agent_id: agent.id, org_id: t.orgId, user_id: t.userId };
    const operations = (await documentedOperations()).filter((op) => ["POST", "PATCH", "DELETE"].includes(op.method));
    expect(operations.length).toBeGreaterThan(20);
    const refused: string[] = [];
    for (const op of operations) {
      const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => real[name] ?? unknownId(PREFIX[name] ?? name.replace(/_id$/, "")));
      const res = await callAs(t, path, { method: op.method, ...EMPTY_JSON });
      const text = await res.text();
      if (res.status === 415 || text.includes('"invalid_json"'))
        refused.push(`${op.method} ${op.path}: ${res.status} ${text.slice(0, 80)}`);
    }
    expect(refused).toEqual([]);
  });

  it("lets the official SDK's sessions.cancel() through: 200", async () => {
    const t = await newTenant();
    const session = await createSession(t, (await createAgent(t)).id);
    const res = await callAs(t, `/v1/sessions/${session.id}/cancel`, { method: "POST", ...EMPTY_JSON });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "no_op" });
  });
});
