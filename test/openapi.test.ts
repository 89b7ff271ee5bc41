import { describe, expect, it } from "vitest";
import { call } from "./helpers";

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, { type: string }> };
  security?: Record<string, string[]>[];
}

const METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);
const ERROR_REF = "#/components/schemas/Error";

async function openApiDocument(): Promise<Document> {
  const res = await call("/api-doc/openapi.json");
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/json");
  return JSON.parse(text) as Document;
}

/** Every operation of the document as `METHOD /path` with its definition. */
function operations(doc: Document): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]),
  );
}

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 with the error schema and both security schemes", async () => {
    const doc = await openApiDocument();
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(doc.components?.schemas?.Error).toBeDefined();
    expect(doc.components?.securitySchemes?.bearerAuth?.type).toBe("http");
    expect(doc.components?.securitySchemes?.apiKeyHeader?.type).toBe("apiKey");
    expect(doc.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
  });

  it("lists the spec's routes, each operation with a unique operationId", async () => {
    const doc = await openApiDocument();
    const ops = operations(doc);
    const names = ops.map(([name]) => name);
    for (const expected of ["GET /health", "POST /v1/agents", "GET /v1/agents/{agent_id}", "GET /v1/sessions/{session_id}/events", "POST /v1/auth/login"]) {
      expect(names).toContain(expected);
    }
    const ids = ops.map(([, op]) => op.operationId);
    expect(ids.every((id) => typeof id === "string" && id.length > 0), "every operation has an operationId").toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("declares every error response with the problem+json error schema", async () => {
    const doc = await openApiDocument();
    const wrong: string[] = [];
    for (const [name, op] of operations(doc)) {
      const errors = Object.entries(op.responses ?? {}).filter(([status]) => /^[45]\d\d$/.test(status));
      if (!errors.some(([status]) => status === "500")) wrong.push(`${name}: no 500`);
      for (const [status, response] of errors) {
        if (response.content?.["application/problem+json"]?.schema?.$ref !== ERROR_REF) wrong.push(`${name}: ${status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("declares at least one 4xx of every operation that takes input or credentials", async () => {
    const doc = await openApiDocument();
    // GET /health takes no input and no credentials: the only error it can return is a 500.
    const missing = operations(doc)
      .filter(([name]) => name !== "GET /health")
      .filter(([, op]) => !Object.keys(op.responses ?? {}).some((status) => /^4\d\d$/.test(status)))
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it("marks the public routes as needing no credentials", async () => {
    const doc = await openApiDocument();
    for (const path of ["/v1/auth/login", "/v1/auth/register", "/v1/auth/refresh"]) {
      expect(doc.paths[path]?.post?.security, path).toEqual([]);
    }
  });
});
