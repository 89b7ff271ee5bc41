import fc from "fast-check";
import { type OpenApiDocument, resolve, type Schema } from "./operations";

/** Strings that break naive code: control characters, lone surrogates, bidi and zero-width marks, lookalikes. */
const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff",
  "x\ud83d",
  "\ud83d\ude00",
  "\u202eevil\u202c",
  "\u2066isolate\u2069",
  "\u200b",
  "\ufeff",
  "e\u0301\u0301\u0301",
  "\r\n\t",
  "%00",
  "%ZZ",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "'; DROP TABLE agents; --",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${…} is the bad input under test
  "${jndi:ldap://x}",
  "\\",
  '"',
  "null",
  "true",
  "0",
  "-1",
  "1e309",
  "NaN",
  "ａｇｅｎｔ",
];

/** Any string, weighted toward the nasty ones, including arbitrary UTF-16 code units (lone surrogates). */
export function anyString(maxLength = 24): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 3 },
    { arbitrary: fc.string({ maxLength }), weight: 2 },
    { arbitrary: fc.string({ unit: "binary", maxLength }), weight: 2 },
    { arbitrary: fc.string({ unit: "grapheme", maxLength }), weight: 1 },
  );
}

/** Ids the generators put where the document asks for one: the fixture's own, by prefix. */
export type IdsByPrefix = Record<string, string>;

/** A well-formed id of `prefix` that names nothing. */
export function unknownId(prefix: string): fc.Arbitrary<string> {
  return fc.stringMatching(/^[0-9a-f]{32}$/).map((hex) => `${prefix}_${hex}`);
}

/** A JSON value of any type (small). */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 2 });

/** A value of some other JSON type than `schema` asks for, for wrong-type mutations. */
export function wrongType(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    anyString(8),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.constant({}),
  );
}

/**
 * A value that (mostly) satisfies `schema`: the starting point that mutations then break in one
 * place, so the server's deeper checks are reached rather than only the first type check.
 */
export function valueFor(doc: OpenApiDocument, raw: Schema, ids: IdsByPrefix, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(doc, raw);
  if (depth > 6) return fc.constant(null);
  const generated = generatedFor(doc, schema, ids, depth);
  // The document's examples are valid values: often taking them gets requests past validation to
  // the code behind it (a random capability id, say, is only ever a 422).
  const example = schema.example ?? (raw === schema ? undefined : raw.example);
  const idPattern = schema.pattern !== undefined && /_\[0-9a-f\]\{32\}/.test(schema.pattern);
  if (example === undefined || idPattern) return generated;
  return fc.oneof({ arbitrary: fc.constant(example), weight: 2 }, { arbitrary: generated, weight: 1 });
}

/** An `allOf` of object schemas as one object schema (what zod's `.extend()` becomes in the document). */
function merged(doc: OpenApiDocument, parts: Schema[]): Schema {
  const resolved = parts.map((part) => resolve(doc, part));
  return {
    type: "object",
    properties: Object.assign({}, ...resolved.map((part) => part.properties ?? {})) as Record<string, Schema>,
    required: resolved.flatMap((part) => part.required ?? []),
  };
}

function generatedFor(doc: OpenApiDocument, schema: Schema, ids: IdsByPrefix, depth: number): fc.Arbitrary<unknown> {
  if (schema.allOf) return generatedFor(doc, merged(doc, schema.allOf), ids, depth);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    // The first alternative (a text part, a plain id) is the common one: favoured, not exclusive.
    return fc.oneof(...alternatives.map((s, i) => ({ arbitrary: valueFor(doc, s, ids, depth + 1), weight: i === 0 ? 2 : 1 })));
  }
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((type) => valueFor(doc, { ...schema, type }, ids, depth + 1)));
  switch (types[0]) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
      return fc.integer({ min: schema.minimum ?? -5, max: schema.maximum ?? 1000 });
    case "number":
      return fc.double({ min: schema.minimum ?? -5, max: schema.maximum ?? 1000, noNaN: true });
    case "string":
      return stringFor(schema, ids);
    case "array": {
      const item = valueFor(doc, schema.items ?? {}, ids, depth + 1);
      return fc.array(item, { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 3, 3) });
    }
    case "object":
      return objectFor(doc, schema, ids, depth);
    default:
      return anyJson;
  }
}

function stringFor(schema: Schema, ids: IdsByPrefix): fc.Arbitrary<string> {
  const idPrefix = /^\^(\w+)_\[0-9a-f\]\{32\}\$$/.exec(schema.pattern ?? "")?.[1];
  if (idPrefix !== undefined) {
    const own = ids[idPrefix];
    return own === undefined
      ? unknownId(idPrefix)
      : fc.oneof({ arbitrary: fc.constant(own), weight: 3 }, { arbitrary: unknownId(idPrefix), weight: 1 });
  }
  if (schema.format === "email") return fc.emailAddress();
  if (schema.format === "date-time")
    return fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }).map((d) => d.toISOString());
  if (schema.format === "uri") return fc.constantFrom("https://example.com/a.png", "https://api.openai.com/v1");
  const min = schema.minLength ?? 1;
  const plain = fc.string({ minLength: Math.max(min, 1), maxLength: 16 }).filter((s) => s.trim().length > 0);
  return fc.oneof({ arbitrary: plain, weight: 3 }, { arbitrary: anyString(), weight: 1 });
}

function objectFor(doc: OpenApiDocument, schema: Schema, ids: IdsByPrefix, depth: number): fc.Arbitrary<unknown> {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) {
    // A free-form object (metadata, config).
    return fc.dictionary(fc.string({ maxLength: 6 }), anyJson, { maxKeys: 3 });
  }
  const model = Object.fromEntries(properties.map(([name, s]) => [name, valueFor(doc, s, ids, depth + 1)]));
  return fc.record(model, { requiredKeys: schema.required ?? [] });
}

/**
 * The schema of the node at `path` inside `value` (which was generated from `schema`), or null
 * when the path leaves what the schema describes. Alternatives are matched by the node's kind.
 */
export function schemaAt(doc: OpenApiDocument, raw: Schema, value: unknown, path: (string | number)[]): Schema | null {
  let schema: Schema | null = resolve(doc, raw);
  let node = value;
  for (const key of path) {
    if (schema === null) return null;
    schema = narrowed(doc, schema, node);
    const child = node !== null && typeof node === "object" ? (node as Record<string | number, unknown>)[key] : undefined;
    if (Array.isArray(node)) schema = schema.items ? resolve(doc, schema.items) : null;
    else if (schema.properties?.[String(key)]) schema = resolve(doc, schema.properties[String(key)] as Schema);
    else schema = typeof schema.additionalProperties === "object" ? resolve(doc, schema.additionalProperties) : null;
    node = child;
  }
  return schema === null ? null : narrowed(doc, schema, node);
}

/** The alternative of an anyOf/oneOf/allOf that fits `node`'s kind (object, array or scalar). */
function narrowed(doc: OpenApiDocument, schema: Schema, node: unknown): Schema {
  if (schema.allOf) return merged(doc, schema.allOf);
  const alternatives = (schema.anyOf ?? schema.oneOf)?.map((s) => resolve(doc, s));
  if (!alternatives) return schema;
  const kind = Array.isArray(node) ? "array" : node !== null && typeof node === "object" ? "object" : "scalar";
  const fits = (s: Schema) => {
    const types = Array.isArray(s.type) ? s.type : [s.type ?? (s.properties || s.allOf ? "object" : "")];
    return kind === "scalar" ? types.some((t) => t !== "object" && t !== "array") : types.includes(kind);
  };
  return alternatives.find(fits) ?? schema;
}

/** Whether a schema node is free-form JSON: an object that declares no properties of its own. */
export function isFreeForm(schema: Schema | null): boolean {
  if (schema === null) return false;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return types.includes("object") && Object.keys(schema.properties ?? {}).length === 0;
}
