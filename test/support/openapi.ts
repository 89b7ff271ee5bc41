import { expect } from "vitest";
import { call } from "./requests";

/** One operation of the served OpenAPI document. */
export interface DocumentedOperation {
  /** Upper case: GET, POST, … */
  method: string;
  /** The path template, `{param}`s included. */
  path: string;
  operationId: string;
  /** Whether it needs credentials (no `security: []` of its own). */
  secured: boolean;
}

const METHODS = new Set(["get", "put", "post", "delete", "patch"]);

/** Every operation of the served document, as the test matrices walk them. */
export async function documentedOperations(): Promise<DocumentedOperation[]> {
  const res = await call("/api-doc/openapi.json");
  expect(res.status).toBe(200);
  const doc = (await res.json()) as { paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>> };
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        operationId: op.operationId ?? "",
        secured: op.security === undefined || op.security.length > 0,
      })),
  );
}
