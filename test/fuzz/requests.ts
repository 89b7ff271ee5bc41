import fc from "fast-check";
import { bodyCase, fairBody } from "./bodies";
import type { OpenApiDocument, Operation } from "./operations";
import { anyString, type IdsByPrefix, unknownId, valueFor } from "./values";

/** One generated request, and what kinds of bad input it carries (shown when a case fails). */
export interface FuzzRequest {
  kinds: string[];
  method: string;
  /** Path and query string, as sent. */
  url: string;
  headers: Record<string, string>;
  /** Text, or bytes for bodies that are not UTF-8. */
  body: string | Uint8Array | undefined;
  /** True when a path id names another tenant's resource: such a request must never succeed. */
  foreign: boolean;
}

/** What the generators know of the fixture: the caller's own ids and another tenant's, by prefix. */
export interface FuzzContext {
  doc: OpenApiDocument;
  own: IdsByPrefix;
  foreign: IdsByPrefix;
  authHeaders: Record<string, string>;
}

/** The id prefix a path parameter takes (`agent_id` → `agent`). */
function prefixOf(param: string): string {
  return param.replace(/_id$/, "");
}

/**
 * Percent-encodes any string, lone surrogates included (encodeURIComponent throws on those):
 * they become U+FFFD, as a client's UTF-8 encoder would send them.
 */
function encoded(value: string): string {
  return encodeURIComponent(value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD"));
}

/** Path segments that are not ids at all, sent as they are (some deliberately badly encoded: invalid UTF-8, a surrogate, overlong). */
const RAW_SEGMENTS = ["%00", "..", "%2e%2e", "a%2Fb", "%ZZ", "%", "%E0%A4%A", "%ED%A0%80", "%C0%AF", "%FF", "re-encrypt", ";", "%20", "*"];

function malformedId(prefix: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...RAW_SEGMENTS),
    fc.constantFrom(
      `${prefix}_XYZ`,
      `${prefix.toUpperCase()}_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f`,
      `${prefix}_0192f1a0c3b47c5e9d2f4a6b8c0d1e2`,
      `${prefix}-0192f1a0c3b47c5e9d2f4a6b8c0d1e2f`,
    ),
    unknownId(prefix === "session" ? "agent" : "session"),
    anyString()
      .filter((s) => s.length > 0)
      .map(encoded),
    fc.integer({ min: 200, max: 6000 }).map((n) => "a".repeat(n)),
  );
}

interface PathValue {
  value: string;
  foreign: boolean;
  kind: string;
}

/** A value for one path parameter: usually the fixture's (so deeper checks run), else unknown, foreign or malformed. */
function pathValue(ctx: FuzzContext, param: string, mayUseOwn: boolean): fc.Arbitrary<PathValue> {
  const prefix = prefixOf(param);
  const own = ctx.own[param] ?? ctx.own[prefix];
  const foreign = ctx.foreign[param] ?? ctx.foreign[prefix];
  const options: fc.WeightedArbitrary<PathValue>[] = [
    { arbitrary: unknownId(prefix).map((value) => ({ value, foreign: false, kind: `unknown ${param}` })), weight: 1 },
    { arbitrary: malformedId(prefix).map((value) => ({ value, foreign: false, kind: `bad ${param}` })), weight: 2 },
  ];
  if (own !== undefined && mayUseOwn)
    options.push({ arbitrary: fc.constant({ value: own, foreign: false, kind: `own ${param}` }), weight: 6 });
  if (foreign !== undefined)
    options.push({ arbitrary: fc.constant({ value: foreign, foreign: true, kind: `foreign ${param}` }), weight: 1 });
  return fc.oneof(...options);
}

const BAD_QUERY_VALUES = [
  "",
  "-1",
  "0",
  "1",
  "101",
  "99999999999999999999999",
  "-99999999999999999999999",
  "1.5",
  "1e3",
  "0x10",
  "NaN",
  "Infinity",
  "%ZZ",
  "%",
  "%00",
  "%ED%A0%80",
  "%C0%AF",
  "%FF",
  "true",
  "%5B%5D",
  "%20",
  "message.created",
  "message.created,nope",
  "session.idled",
];

function queryValue(): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...BAD_QUERY_VALUES), weight: 4 },
    { arbitrary: anyString().map(encoded), weight: 2 },
    { arbitrary: unknownId("event"), weight: 1 },
    { arbitrary: fc.integer({ min: 1000, max: 8000 }).map((n) => "9".repeat(n)), weight: 1 },
  );
}

interface Part {
  text: string;
  kinds: string[];
}

/** A query string over the declared parameters and some undeclared ones, keys possibly repeated, values mostly bad. */
function badQuery(op: Operation): fc.Arbitrary<Part> {
  const names = [...op.query.map((q) => q.name), "unknown", "access_token", "__proto__"];
  return fc.array(fc.tuple(fc.constantFrom(...names), queryValue()), { minLength: 1, maxLength: 5 }).map((pairs) => {
    const keys = pairs.map(([k]) => k);
    const kinds = [`query ${keys.join(",")}`];
    if (new Set(keys).size < keys.length) kinds.push("duplicate query keys");
    return { text: pairs.map(([k, v]) => `${k}=${v}`).join("&"), kinds };
  });
}

/** A query string of declared parameters with schema-shaped values (or none). */
function fairQuery(ctx: FuzzContext, op: Operation): fc.Arbitrary<Part> {
  if (op.query.length === 0) return fc.constant({ text: "", kinds: [] });
  // A few of the declared parameters (often none), each with a value of its schema.
  return fc
    .subarray(op.query, { maxLength: Math.min(2, op.query.length) })
    .chain((chosen) => fc.tuple(fc.constant(chosen), ...chosen.map((q) => valueFor(ctx.doc, q.schema, ctx.own))))
    .map(([chosen, ...values]) => ({
      text: chosen
        .flatMap((q, i) =>
          (Array.isArray(values[i]) ? (values[i] as unknown[]) : [values[i]]).map(
            (v) => `${q.name}=${encoded(typeof v === "string" ? v : JSON.stringify(v))}`,
          ),
        )
        .join("&"),
      kinds: [],
    }));
}

/** The caller's credentials, and for the event routes an Accept that asks for the JSON list. */
function fairHeaders(ctx: FuzzContext): Record<string, string> {
  return { ...ctx.authHeaders, accept: "application/json" };
}

/** Odd X-Org-Id, Last-Event-ID and Accept values beside the caller's credentials. */
function badHeaders(ctx: FuzzContext, op: Operation): fc.Arbitrary<{ headers: Record<string, string>; kinds: string[] }> {
  const orgIds = [ctx.own.org, ctx.foreign.org, "org_XYZ", "not an org", "", "org_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f"].filter(
    (v): v is string => v !== undefined,
  );
  return fc
    .record({
      org: fc.option(fc.constantFrom(...orgIds), { nil: undefined }),
      lastEventId: fc.option(fc.oneof(unknownId("event"), anyString().map(encoded), fc.constantFrom("", "0", "-1", "event_XYZ")), {
        nil: undefined,
      }),
      accept: fc.constantFrom("application/json", "text/event-stream", "*/*", "application/xml", "application/json;q=0", ""),
    })
    .map(({ org, lastEventId, accept }) => {
      const headers: Record<string, string> = { ...ctx.authHeaders, accept };
      const kinds: string[] = [`accept "${accept}"`];
      if (org !== undefined) {
        headers["x-org-id"] = org;
        kinds.push(`x-org-id ${org === ctx.own.org ? "own" : org === ctx.foreign.org ? "foreign" : JSON.stringify(org)}`);
      }
      if (lastEventId !== undefined && op.headers.includes("last-event-id")) {
        headers["last-event-id"] = lastEventId;
        kinds.push("last-event-id");
      }
      return { headers, kinds };
    });
}

type Fault = "body" | "path" | "query" | "headers" | "none";

/** Which part of the request is broken: one at a time, so the rest is valid and the server's deeper checks run. */
function fault(op: Operation): fc.Arbitrary<Fault> {
  const options: fc.WeightedArbitrary<Fault>[] = [
    { arbitrary: fc.constant("query"), weight: op.query.length > 0 ? 2 : 1 },
    { arbitrary: fc.constant("headers"), weight: 1 },
    { arbitrary: fc.constant("none"), weight: 2 },
  ];
  if (op.method !== "GET") options.push({ arbitrary: fc.constant("body"), weight: op.body ? 6 : 2 });
  if (op.pathParams.length > 0) options.push({ arbitrary: fc.constant("path"), weight: 2 });
  return fc.oneof(...options);
}

/**
 * Requests to `op` with bad input of every kind the issue lists: each request breaks one part
 * (body, path ids, query, headers) and keeps the others valid; some break nothing.
 */
export function badRequests(ctx: FuzzContext, op: Operation): fc.Arbitrary<FuzzRequest> {
  const lastParam = op.pathParams[op.pathParams.length - 1];
  // The resource a DELETE removes is never the fixture's own: the cases after it need it.
  const mayUseOwn = (param: string) => !(op.method === "DELETE" && param === lastParam);
  const ownPath = (param: string): fc.Arbitrary<PathValue> => {
    const own = ctx.own[param] ?? ctx.own[prefixOf(param)];
    return own !== undefined && mayUseOwn(param)
      ? fc.constant({ value: own, foreign: false, kind: `own ${param}` })
      : pathValue(ctx, param, false);
  };
  // One arbitrary per kind of fault, built on first use: building them (schemas walked, patterns
  // compiled) cost more than drawing a case from them. Arbitraries hold no state, so a seed draws
  // the same cases either way.
  const byFault = new Map<Fault, fc.Arbitrary<FuzzRequest>>();
  const forFault = (broken: Fault): fc.Arbitrary<FuzzRequest> =>
    fc
      .record({
        path: fc.tuple(
          fc.constant(null),
          ...op.pathParams.map((param) => (broken === "path" ? pathValue(ctx, param, mayUseOwn(param)) : ownPath(param))),
        ),
        query: broken === "query" ? badQuery(op) : fairQuery(ctx, op),
        headers: broken === "headers" ? badHeaders(ctx, op) : fc.constant({ headers: fairHeaders(ctx), kinds: [] }),
        body: broken === "body" ? bodyCase(ctx, op) : fairBody(ctx, op),
      })
      .map(({ path, query, headers, body }) => {
        const values = path.slice(1) as PathValue[];
        let url = op.template;
        op.pathParams.forEach((param, i) => {
          url = url.replace(`{${param}}`, values[i]?.value ?? "");
        });
        if (query.text) url += `?${query.text}`;
        const allHeaders = { ...headers.headers };
        if (body.contentType !== undefined) allHeaders["content-type"] = body.contentType;
        return {
          kinds: [`fault: ${broken}`, ...values.map((v) => v.kind), ...query.kinds, ...headers.kinds, ...body.kinds],
          method: op.method,
          url,
          headers: allHeaders,
          // fetch() cannot send a body with GET.
          body: op.method === "GET" ? undefined : body.body,
          foreign: values.some((v) => v.foreign),
        };
      });
  return fault(op).chain((broken) => {
    let arbitrary = byFault.get(broken);
    if (!arbitrary) {
      arbitrary = forFault(broken);
      byFault.set(broken, arbitrary);
    }
    return arbitrary;
  });
}
