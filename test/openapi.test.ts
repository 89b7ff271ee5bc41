import { describe, expect, it } from "vitest";
import { call } from "./support/requests";

interface Parameter {
  $ref?: string;
  name?: string;
  in?: string;
  required?: boolean;
  schema?: unknown;
}

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: { $ref?: string } }> }>;
}

interface Document {
  openapi: string;
  info?: { title?: string; version?: string };
  paths: Record<string, Record<string, Operation>>;
  components?: {
    schemas?: Record<string, unknown>;
    securitySchemes?: Record<string, { type: string }>;
    parameters?: Record<string, Parameter>;
  };
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
    for (const expected of [
      "GET /health",
      "POST /v1/agents",
      "GET /v1/agents/{agent_id}",
      "GET /v1/sessions/{session_id}/events",
      "POST /v1/auth/login",
      "GET /v1/webhooks",
      "POST /v1/webhooks",
      "GET /v1/webhooks/{webhook_id}",
      "PATCH /v1/webhooks/{webhook_id}",
      "DELETE /v1/webhooks/{webhook_id}",
      "POST /v1/webhooks/{webhook_id}/rotate-secret",
      "GET /v1/webhooks/{webhook_id}/deliveries",
      "POST /v1/webhooks/{webhook_id}/test",
    ]) {
      expect(names).toContain(expected);
    }
    const ids = ops.map(([, op]) => op.operationId);
    expect(
      ids.every((id) => typeof id === "string" && id.length > 0),
      "every operation has an operationId",
    ).toBe(true);
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

  it("gives every secured operation the auth errors (400, 401, 403, 404, 429) and the X-Org-Id header", async () => {
    const doc = await openApiDocument();
    const header = doc.components?.parameters?.XOrgId;
    expect(header).toMatchObject({ name: "X-Org-Id", in: "header", required: false });
    const secured = operations(doc).filter(([, op]) => op.security === undefined || op.security.length > 0);
    expect(secured.length).toBeGreaterThan(40);
    const wrong: string[] = [];
    for (const [name, op] of secured) {
      for (const status of ["400", "401", "403", "404", "429"]) {
        if (op.responses?.[status]?.content?.["application/problem+json"]?.schema?.$ref !== ERROR_REF) wrong.push(`${name}: ${status}`);
      }
      const refs = (op.parameters ?? []).filter((p) => p.$ref === "#/components/parameters/XOrgId");
      if (refs.length !== 1) wrong.push(`${name}: X-Org-Id referenced ${refs.length} times`);
    }
    // The public routes take no credentials, so they neither need nor declare the header.
    for (const [name, op] of operations(doc).filter(([, o]) => o.security?.length === 0)) {
      if ((op.parameters ?? []).some((p) => p.$ref === "#/components/parameters/XOrgId")) wrong.push(`${name}: public, yet X-Org-Id`);
    }
    expect(wrong).toEqual([]);
  });

  it("is a well-formed OpenAPI 3.1 document: refs resolve, parameters are unique and path templates are declared", async () => {
    const doc = await openApiDocument();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info?.title).toBeTruthy();
    expect(doc.info?.version).toBeTruthy();
    const problems: string[] = [];

    // Every $ref anywhere in the document points at something that exists.
    const resolve = (ref: string): unknown =>
      ref
        .replace(/^#\//, "")
        .split("/")
        .reduce<unknown>(
          (node, key) => (node !== null && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined),
          doc,
        );
    const visit = (node: unknown, where: string): void => {
      if (Array.isArray(node)) {
        for (const [i, item] of node.entries()) visit(item, `${where}/${i}`);
        return;
      }
      if (node === null || typeof node !== "object") return;
      for (const [key, value] of Object.entries(node)) {
        if (key === "$ref" && (typeof value !== "string" || !value.startsWith("#/") || resolve(value) === undefined))
          problems.push(`${where}: $ref ${String(value)}`);
        visit(value, `${where}/${key}`);
      }
    };
    visit(doc, "#");

    for (const [name, op] of operations(doc)) {
      const params = (op.parameters ?? []).map((p) => (p.$ref ? (resolve(p.$ref) as Parameter) : p));
      // A parameter is identified by location and name; header names are case-insensitive.
      const keys = params.map((p) => `${p.in}:${p.in === "header" ? p.name?.toLowerCase() : p.name}`);
      if (new Set(keys).size !== keys.length) problems.push(`${name}: duplicate parameters ${keys.join(", ")}`);
      for (const p of params) {
        if (!p.name || !["query", "header", "path", "cookie"].includes(p.in ?? "") || p.schema === undefined)
          problems.push(`${name}: parameter ${JSON.stringify(p)}`);
        if (p.in === "header" && ["authorization", "accept", "content-type"].includes(p.name?.toLowerCase() ?? ""))
          problems.push(`${name}: header ${p.name} must not be a parameter`);
      }
      const template = [...(name.split(" ")[1] ?? "").matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const inPath = params.filter((p) => p.in === "path");
      if (inPath.some((p) => p.required !== true)) problems.push(`${name}: a path parameter is not required`);
      if (JSON.stringify(inPath.map((p) => p.name).sort()) !== JSON.stringify([...template].sort()))
        problems.push(`${name}: path parameters ${inPath.map((p) => p.name)} vs ${template}`);
      const responses = Object.entries(op.responses ?? {});
      if (responses.length === 0) problems.push(`${name}: no responses`);
      for (const [status, response] of responses) {
        if (!/^[1-5](\d\d|XX)$|^default$/.test(status) || !response.description) problems.push(`${name}: response ${status}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
