/** A JSON Schema node of the OpenAPI document, as far as the generators read it. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  example?: unknown;
  default?: unknown;
}

interface Parameter {
  $ref?: string;
  name?: string;
  in?: string;
  required?: boolean;
  schema?: Schema;
}

interface RawOperation {
  operationId?: string;
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, Schema>; parameters?: Record<string, Parameter> };
}

/** One operation of the served document, with what a request to it can carry. */
export interface Operation {
  id: string;
  method: string;
  /** The path template, `{param}` placeholders and all. */
  template: string;
  secured: boolean;
  pathParams: string[];
  query: { name: string; schema: Schema }[];
  headers: string[];
  /** The JSON body schema, refs resolved on demand with `resolve`; null when the operation takes none. */
  body: Schema | null;
  bodyRequired: boolean;
}

const METHODS = new Set(["get", "put", "post", "delete", "patch"]);

/** Follows a local `$ref` (`#/components/...`) until a schema without one. */
export function resolve(doc: OpenApiDocument, schema: Schema): Schema {
  let current = schema;
  for (let hops = 0; current.$ref !== undefined && hops < 16; hops += 1) {
    const target = current.$ref
      .replace(/^#\//, "")
      .split("/")
      .reduce<unknown>(
        (node, key) => (node !== null && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined),
        doc,
      );
    if (target === undefined) throw new Error(`unresolved ${current.$ref}`);
    current = target as Schema;
  }
  return current;
}

/** Every operation of the document, in document order. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([template, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, op]): Operation => {
        const params = (op.parameters ?? []).map((p) => (p.$ref ? (resolve(doc, p as Schema) as Parameter) : p));
        const json = op.requestBody?.content?.["application/json"]?.schema;
        return {
          id: op.operationId ?? `${method} ${template}`,
          method: method.toUpperCase(),
          template,
          secured: op.security === undefined || op.security.length > 0,
          pathParams: params.filter((p) => p.in === "path").map((p) => p.name ?? ""),
          query: params.filter((p) => p.in === "query").map((p) => ({ name: p.name ?? "", schema: p.schema ?? {} })),
          headers: params.filter((p) => p.in === "header").map((p) => (p.name ?? "").toLowerCase()),
          body: json ?? null,
          bodyRequired: op.requestBody?.required === true,
        };
      }),
  );
}
