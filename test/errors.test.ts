import { env, exports } from "cloudflare:workers";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { codeForStatus, ERROR_CATALOGUE, type ErrorCode } from "../src/lib/errors";
import { allowedMethods } from "../src/lib/method-not-allowed";
import { MAX_BODY_BYTES } from "../src/middleware/json-body";
import { captureConsole, jsonLines } from "./support/console";
import { expectProblem } from "./support/problems";
import { call, callAs } from "./support/requests";
import { newTenant } from "./support/tenants";

describe("400", () => {
  it("invalid_json for a body that does not parse", async () => {
    const t = await newTenant();
    const res = await callAs(t, "/v1/agents", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"name": "x", ',
    });
    const body = await expectProblem(res, 400, "invalid_json");
    expect(body.errors).toBeUndefined();
  });

  it("invalid_json for a JSON body that is not UTF-8, rather than storing U+FFFD in its place", async () => {
    const t = await newTenant();
    const notUtf8 = new Uint8Array([
      ...new TextEncoder().encode('{"name":"'),
      0xff,
      0xfe,
      ...new TextEncoder().encode('","system_prompt":"p"}'),
    ]);
    const res = await callAs(t, "/v1/agents", { method: "POST", headers: { "content-type": "application/json" }, body: notUtf8 });
    await expectProblem(res, 400, "invalid_json");
  });

  it("validation_failed names every invalid field, without echoing any value", async () => {
    const t = await newTenant();
    const res = await callAs(t, "/v1/agents", {
      method: "POST",
      json: {
        name: 42,
        system_prompt: ["not", "a", "string"],
        default_model_id: "not-a-model-zq9x",
        capabilities: "current_time",
        tags: ["", "ok"],
      },
    });
    const body = await expectProblem(res, 400, "validation_failed");
    // The parse is strict, so the body holds nothing beyond what was parsed.
    const text = JSON.stringify(body);
    const paths = (body.errors ?? []).map((e) => e.path);
    for (const field of ["body.name", "body.system_prompt", "body.default_model_id", "body.capabilities", "body.tags.0"]) {
      expect(paths).toContain(field);
    }
    expect(text).not.toContain("not-a-model-zq9x");
  });

  it("a missing required field is named too", async () => {
    const t = await newTenant();
    const res = await callAs(t, "/v1/agents", { method: "POST", json: { name: "only a name" } });
    const body = await expectProblem(res, 400, "validation_failed");
    expect(body.errors?.map((e) => e.path)).toEqual(["body.system_prompt"]);
  });

  it("invalid_id for a path id of the wrong shape or prefix, never a 500", async () => {
    const t = await newTenant();
    for (const id of ["not-an-id", "session_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f", "agent_XYZ"]) {
      const body = await expectProblem(await callAs(t, `/v1/agents/${id}`), 400, "invalid_id");
      expect(body.errors?.map((e) => e.path)).toEqual(["path.agent_id"]);
    }
  });
});

describe("404 and 405", () => {
  it("route_not_found for an unknown path, outside and inside /v1", async () => {
    await expectProblem(await call("/no-such-thing"), 404, "route_not_found");
    const t = await newTenant();
    await expectProblem(await callAs(t, "/v1/no-such-thing"), 404, "route_not_found");
  });

  it("method_not_allowed with Allow listing the path's methods", async () => {
    const t = await newTenant();
    const res = await callAs(t, "/v1/agents", { method: "PUT", json: {} });
    await expectProblem(res, 405, "method_not_allowed");
    expect(res.headers.get("allow")).toBe("GET, HEAD, POST");
    const one = await callAs(t, "/v1/agents/agent_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f", { method: "POST", json: {} });
    await expectProblem(one, 405, "method_not_allowed");
    expect(one.headers.get("allow")).toBe("DELETE, GET, HEAD, PATCH");
  });
});

describe("405 on a literal path beside a parameter route", () => {
  it("answers for /v1/llm-providers/re-encrypt with its own methods, not those of /{provider_id}", async () => {
    const t = await newTenant();
    for (const method of ["OPTIONS", "GET", "PUT", "PATCH", "DELETE"]) {
      const res = await callAs(t, "/v1/llm-providers/re-encrypt", { method });
      await expectProblem(res, 405, "method_not_allowed");
      expect(res.headers.get("allow"), method).toBe("POST");
    }
    const ok = await callAs(t, "/v1/llm-providers/re-encrypt", { method: "POST" });
    expect(ok.status, await ok.text()).toBe(200);
    const byId = await callAs(t, "/v1/llm-providers/provider_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f", { method: "OPTIONS" });
    await expectProblem(byId, 405, "method_not_allowed");
    expect(byId.headers.get("allow")).toBe("DELETE, GET, HEAD, PATCH");
  });

  it("takes the methods of the most specific matching routes: literal over parameter over wildcard, ties joined", () => {
    const routes = [
      { method: "GET", path: "/things/:id" },
      { method: "PATCH", path: "/things/:other" },
      { method: "POST", path: "/things/special" },
      { method: "DELETE", path: "/things/*" },
      { method: "PUT", path: "/things/:id/parts" },
      { method: "ALL", path: "/things/*" },
    ];
    expect(allowedMethods({ routes }, "/things/special")).toEqual(["POST"]);
    expect(allowedMethods({ routes }, "/things/special/")).toEqual(["POST"]);
    expect(allowedMethods({ routes }, "/things/t1")).toEqual(["GET", "HEAD", "PATCH"]);
    expect(allowedMethods({ routes }, "/things/t1/parts")).toEqual(["PUT"]);
    expect(allowedMethods({ routes }, "/things/t1/other")).toEqual(["DELETE"]);
    expect(allowedMethods({ routes }, "/elsewhere")).toEqual([]);
  });
});

describe("413 and 415", () => {
  /** A JSON body of exactly `bytes` bytes that is a valid agent apart from its size. */
  function agentBody(bytes: number): string {
    const shell = JSON.stringify({ name: "big", system_prompt: "" });
    return shell.replace('"system_prompt":""', `"system_prompt":"${"a".repeat(bytes - shell.length)}"`);
  }

  it("413 for a body over 1 MiB that declares its length", async () => {
    const t = await newTenant();
    const body = agentBody(MAX_BODY_BYTES + 1);
    const res = await callAs(t, "/v1/agents", { method: "POST", headers: { "content-type": "application/json" }, body });
    await expectProblem(res, 413, "payload_too_large");
  });

  it("413 for a streamed body without Content-Length once it passes 1 MiB", async () => {
    const t = await newTenant();
    const chunk = new TextEncoder().encode("a".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY_BYTES * 2) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const request = new Request("http://api.test/v1/agents", {
      method: "POST",
      headers: { ...t.headers, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(request.headers.has("content-length")).toBe(false);
    await expectProblem(await exports.default.fetch(request), 413, "payload_too_large");
  });

  it("a body of exactly 1 MiB is not refused for its size", async () => {
    const t = await newTenant();
    const res = await callAs(t, "/v1/agents", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: agentBody(MAX_BODY_BYTES),
    });
    await res.body?.cancel();
    expect(res.status).not.toBe(413);
  });

  it("415 for a body that is not JSON", async () => {
    const t = await newTenant();
    const res = await callAs(t, "/v1/agents", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ name: "a", system_prompt: "b" }),
    });
    await expectProblem(res, 415, "unsupported_media_type");
  });
});

describe("500", () => {
  it("says only 'Internal server error' and logs the cause with the request id", async () => {
    const secret = "db password is hunter2 at /srv/app/secret.sql";
    const app = createApp();
    app.get("/__boom", () => {
      throw new Error(secret);
    });
    let res = new Response();
    const lines = await captureConsole(async () => {
      res = await app.request("/__boom", { headers: { "x-request-id": "boom-1" } }, env);
    });
    const body = await expectProblem(res, 500, "internal_error");
    const text = JSON.stringify(body);
    expect(body.detail).toBe("Internal server error");
    expect(body.request_id).toBe("boom-1");
    expect(text).not.toContain("hunter2");
    expect(text).not.toMatch(/secret\.sql|stack|at \//);
    const logged = lines.map((line) => JSON.parse(line) as { request_id?: string; status?: number; error?: { message?: string } });
    expect(logged).toContainEqual(
      expect.objectContaining({ request_id: "boom-1", status: 500, error: expect.objectContaining({ message: secret }) }),
    );
  });
});

describe("HTTPException from hono middleware", () => {
  /** The response to a route that throws `new HTTPException(status)`, with what was logged meanwhile. */
  async function thrown(status: number): Promise<{ res: Response; logged: Record<string, unknown>[] }> {
    const app = createApp();
    app.get("/__http", () => {
      throw new HTTPException(status as ContentfulStatusCode, { message: "library wording zq7" });
    });
    let res = new Response();
    const lines = await captureConsole(async () => {
      res = await app.request("/__http", {}, env);
    });
    return { res, logged: jsonLines(lines) };
  }

  it("becomes the catalogue's generic code for its status, without an unhandled-error log line", async () => {
    const cases: [number, ErrorCode][] = [
      [400, "invalid_json"],
      [401, "unauthorized"],
      [403, "forbidden"],
      [404, "route_not_found"],
      [405, "method_not_allowed"],
      [409, "conflict"],
      [413, "payload_too_large"],
      [415, "unsupported_media_type"],
      [422, "invalid_state"],
      [429, "rate_limited"],
      [503, "service_unavailable"],
    ];
    for (const [status, code] of cases) {
      const { res, logged } = await thrown(status);
      const body = await expectProblem(res, status, code);
      expect(JSON.stringify(body)).not.toContain("zq7");
      expect(
        logged.filter((l) => l.msg === "unhandled error"),
        String(status),
      ).toEqual([]);
    }
  });

  it("is a logged 500 when the catalogue has no code for its status, or its status is 500", async () => {
    for (const status of [418, 500, 502]) {
      const { res, logged } = await thrown(status);
      const body = await expectProblem(res, 500, "internal_error");
      expect(JSON.stringify(body)).not.toContain("zq7");
      expect(logged, String(status)).toContainEqual(
        expect.objectContaining({ msg: "unhandled error", status: 500, request_id: body.request_id }),
      );
    }
  });

  it("maps every catalogue status to a code of that status", () => {
    // A bare 502 is an upstream answer we did not map: a failure of ours, rendered as a logged 500
    // (the test above). Only a code raised by name (`mcp_unavailable`) carries 502.
    for (const entry of Object.values(ERROR_CATALOGUE).filter((e) => e.status !== 502)) {
      const code = codeForStatus(entry.status);
      expect(code === null ? null : ERROR_CATALOGUE[code].status).toBe(entry.status);
    }
    expect(codeForStatus(418)).toBeNull();
  });
});

describe("X-Request-ID", () => {
  it("echoes a sane caller id on success and error responses", async () => {
    const ok = await call("/health", { headers: { "x-request-id": "client-abc_123.XYZ" } });
    await ok.body?.cancel();
    expect(ok.headers.get("x-request-id")).toBe("client-abc_123.XYZ");
    const longest = "r".repeat(128);
    const res = await call("/no-such-thing", { headers: { "x-request-id": longest } });
    const body = await expectProblem(res, 404, "route_not_found");
    expect(body.request_id).toBe(longest);
  });

  it("replaces an id that is too long or has characters outside printable ASCII", async () => {
    for (const given of ["r".repeat(129), "has spaces in it", "tab\tinside"]) {
      const res = await call("/no-such-thing", { headers: { "x-request-id": given } });
      const body = await expectProblem(res, 404, "route_not_found");
      expect(body.request_id).not.toBe(given);
      expect(body.request_id).toMatch(/^[0-9a-f]{32}$/);
    }
  });
});
