import { describe, expect, it } from "vitest";
import { captureConsole, jsonLines } from "./support/console";
import { callWith } from "./support/requests";
import { newTenant } from "./support/tenants";

/** The access log lines written while `run` executes. */
async function accessLines(run: () => Promise<void>): Promise<Record<string, unknown>[]> {
  return jsonLines(await captureConsole(run)).filter((line) => line.msg === "request");
}

describe("access log", () => {
  it("writes one line per request: method, path without query, status, duration and request id", async () => {
    const t = await newTenant();
    const responses: Response[] = [];
    const lines = await accessLines(async () => {
      responses.push(await callWith({}, "/health?cursor=secret-cursor-zq5", { headers: { "x-request-id": "log-health" } }));
      responses.push(
        await callWith({}, "/v1/agents", { method: "POST", headers: t.headers, json: { name: "logged", system_prompt: "hi" } }),
      );
      responses.push(await callWith({}, "/no-such-route"));
    });
    for (const res of responses) await res.body?.cancel();

    expect(lines).toHaveLength(3);
    const expected = [
      { method: "GET", path: "/health", status: 200 },
      { method: "POST", path: "/v1/agents", status: 201 },
      { method: "GET", path: "/no-such-route", status: 404 },
    ];
    lines.forEach((line, i) => {
      expect(line).toMatchObject({ level: "info", ...expected[i], request_id: responses[i]?.headers.get("x-request-id") });
      expect(typeof line.duration_ms).toBe("number");
      expect(line.duration_ms).toBeGreaterThanOrEqual(0);
      expect(typeof line.time).toBe("string");
    });
    expect(lines[0]?.request_id).toBe("log-health");
    expect(JSON.stringify(lines)).not.toContain("secret-cursor-zq5");
  });

  it("logs the status the client got when the request fails in middleware", async () => {
    let res = new Response();
    const lines = await accessLines(async () => {
      res = await callWith({}, "/v1/agents", { headers: { authorization: "Bearer nope" } });
    });
    await res.body?.cancel();
    expect(res.status).toBe(401);
    expect(lines).toEqual([
      expect.objectContaining({ method: "GET", path: "/v1/agents", status: 401, request_id: res.headers.get("x-request-id") }),
    ]);
  });
});
