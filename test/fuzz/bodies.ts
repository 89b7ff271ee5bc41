import fc from "fast-check";
import { MAX_BODY_BYTES } from "../../src/middleware/json-body";
import { type Operation, resolve } from "./operations";
import type { FuzzContext } from "./requests";
import { anyJson, anyString, isFreeForm, schemaAt, valueFor, wrongType } from "./values";

/** Request bodies: schema-shaped ones broken in one place, raw and odd JSON, wrong types, bytes that are not UTF-8, too big. */

const CONTENT_TYPES = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json; charset=utf-16",
  "application/vnd.api+json",
  "APPLICATION/JSON",
  "application/jsonx",
  "application/json, text/plain",
  "",
];

const RAW_BODIES = [
  "{",
  '{"a":',
  "[",
  '{"a":1,}',
  '{"a":1}garbage',
  "\ufeff{}",
  '{"name":"a","name":"b"}',
  "NaN",
  "1e999",
  '{"a":NaN}',
  "// c\n{}",
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  " ",
  "\n\n",
  "null",
  "[]",
  '"text"',
  "-0",
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
];

/** Every path (as keys) inside a JSON value, to a depth of 4, the root included. */
function pathsIn(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (prefix.length >= 4 || value === null || typeof value !== "object") return out;
  for (const [key, child] of Array.isArray(value) ? value.entries() : Object.entries(value)) pathsIn(child, [...prefix, key], out);
  return out;
}

/** The node at `path` in `value`. */
function at(value: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>(
    (node, key) => (node !== null && typeof node === "object" ? (node as Record<string | number, unknown>)[key] : undefined),
    value,
  );
}

function isContainer(value: unknown): boolean {
  return value !== null && typeof value === "object";
}

/** `value` with the node at `path` replaced (a copy; the root path replaces everything). */
function replaced(value: unknown, path: (string | number)[], next: unknown): unknown {
  if (path.length === 0) return next;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (next === undefined) delete node[last];
  else node[last] = next;
  return copy;
}

/** Stands in for deep nesting in JSON.stringify's output, then is replaced by text built without recursion. */
const DEEP_MARK = "\u0001deep\u0001";

function deepText(depth: number, arrays: boolean): string {
  return arrays ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"d":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`;
}

type Mutation = { kind: string; apply: (value: unknown, path: (string | number)[]) => unknown; deep?: { depth: number; arrays: boolean } };

function mutation(): fc.Arbitrary<Mutation> {
  return fc.oneof(
    wrongType().map<Mutation>((w) => ({ kind: "wrong type", apply: (v, p) => replaced(v, p, w) })),
    fc.constant<Mutation>({ kind: "missing field", apply: (v, p) => (p.length === 0 ? {} : replaced(v, p, undefined)) }),
    fc.constant<Mutation>({ kind: "null", apply: (v, p) => replaced(v, p, null) }),
    fc.tuple(fc.string({ maxLength: 8 }), anyJson).map<Mutation>(([key, extra]) => ({
      kind: "extra field",
      apply: (v, p) => {
        const target = p.length === 0 ? v : undefined;
        return target !== null && typeof target === "object" && !Array.isArray(target)
          ? { ...target, [`x_${key}`]: extra }
          : replaced(v, p, { [key]: extra });
      },
    })),
    {
      // Nesting is the mutation most likely to reach past validation into a write: tried twice as often.
      weight: 2,
      arbitrary: fc
        .record({ depth: fc.constantFrom(33, 65, 1000, 10_000, 10_000, 20_000), arrays: fc.boolean() })
        .map<Mutation>((deep) => ({
          kind: `deep nesting ${deep.depth}`,
          // Inside an object (so a free-form field keeps its type and reaches the code behind it), else in its place.
          apply: (v, p) => {
            const node = at(v, p);
            return node !== null && typeof node === "object" && !Array.isArray(node)
              ? replaced(v, [...p, "nested"], DEEP_MARK)
              : replaced(v, p, DEEP_MARK);
          },
          deep,
        })),
    },
    fc
      .record({ size: fc.constantFrom(300, 3000, 20_000, 300_000), char: fc.constantFrom("x", "é", "😀", "\u0000") })
      .map<Mutation>(({ size, char }) => ({
        kind: `huge string ${size}`,
        apply: (v, p) => replaced(v, p, char.repeat(size)),
      })),
    anyString().map<Mutation>((s) => ({ kind: "nasty string", apply: (v, p) => replaced(v, p, s) })),
  );
}

/** JSON-looking bytes that are not UTF-8: a stray byte, a surrogate or an overlong form encoded, a cut sequence. */
function notUtf8(): fc.Arbitrary<Uint8Array> {
  const bad = fc.constantFrom([0xff], [0xfe, 0xff], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe2, 0x82], [0x80]);
  return bad.map(
    (bytes) => new Uint8Array([...new TextEncoder().encode('{"name":"'), ...bytes, ...new TextEncoder().encode('","system_prompt":"p"}')]),
  );
}

export interface BodyCase {
  body: string | Uint8Array | undefined;
  contentType: string | undefined;
  kinds: string[];
}

/** A body for `op`: one derived from its schema and broken in one place, or raw text, a wrong type, none, or too big. */
export function bodyCase(ctx: FuzzContext, op: Operation): fc.Arbitrary<BodyCase> {
  const schema = op.body ?? { type: "object" };
  const derived = fc.tuple(valueFor(ctx.doc, resolve(ctx.doc, schema), ctx.own), fc.nat(), mutation()).map(([valid, pick, m]): BodyCase => {
    const paths = pathsIn(valid);
    // Nesting is aimed at free-form JSON (capability config, message metadata) when the body has
    // some, since that is where a server must bound it itself; else at any container. Every
    // other mutation goes to any node.
    const containers = paths.filter((p) => isContainer(at(valid, p)));
    const freeForm = containers.filter((p) => isFreeForm(schemaAt(ctx.doc, schema, valid, p)));
    const targets = m.deep ? (freeForm.length > 0 && pick % 4 !== 0 ? freeForm : containers) : paths;
    const path = targets[Math.floor(pick / 4) % targets.length] ?? [];
    let text = JSON.stringify(m.apply(valid, path)) ?? "null";
    if (m.deep) text = text.replace(JSON.stringify(DEEP_MARK), deepText(m.deep.depth, m.deep.arrays));
    const where = path.length === 0 ? "body" : `body.${path.join(".")}`;
    return { body: text, contentType: "application/json", kinds: [`${m.kind} at ${where}`] };
  });
  const options: fc.WeightedArbitrary<BodyCase>[] = [
    { arbitrary: derived, weight: 10 },
    {
      arbitrary: fc
        .constantFrom(...RAW_BODIES)
        .map((body) => ({ body, contentType: "application/json", kinds: ["malformed or odd JSON"] })),
      weight: 2,
    },
    {
      arbitrary: fc
        .tuple(derived, fc.constantFrom(...CONTENT_TYPES))
        .map(([b, contentType]) => ({ ...b, contentType: contentType || undefined, kinds: [...b.kinds, `content-type "${contentType}"`] })),
      weight: 2,
    },
    { arbitrary: fc.constant({ body: undefined, contentType: undefined, kinds: ["no body"] }), weight: 1 },
    { arbitrary: notUtf8().map((body) => ({ body, contentType: "application/json", kinds: ["body not UTF-8"] })), weight: 1 },
    {
      arbitrary: fc.integer({ min: 1, max: 4096 }).map((extra) => ({
        body: `{"name":"${"a".repeat(MAX_BODY_BYTES + extra)}"}`,
        contentType: "application/json",
        kinds: ["oversized body"],
      })),
      weight: 1,
    },
  ];
  return fc.oneof(...options);
}

/** A schema-shaped body for `op` (none when it takes none). */
export function fairBody(ctx: FuzzContext, op: Operation): fc.Arbitrary<BodyCase> {
  if (!op.body) return fc.constant({ body: undefined, contentType: undefined, kinds: [] });
  return valueFor(ctx.doc, op.body, ctx.own).map((value) => ({
    body: JSON.stringify(value),
    contentType: "application/json",
    kinds: ["schema-shaped body"],
  }));
}
