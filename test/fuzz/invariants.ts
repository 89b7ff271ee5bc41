import { expect } from "vitest";
import { problem } from "../support/problems";
import type { FuzzRequest } from "./requests";

/** What must never reach a client, in any body: the patterns name what leaked. */
const LEAKS: [string, RegExp][] = [
  ["a stack trace", /\n\s+at \S+|\bat [\w.$<>]+ \([^)]*:\d+:\d+\)/],
  [
    "SQL or a database error",
    /\b(SQLITE_[A-Z]+|D1_ERROR|UNIQUE constraint|FOREIGN KEY constraint|NOT NULL constraint|no such (table|column)|SELECT\s+\S.*\s+FROM\s|INSERT INTO\s|DELETE FROM\s|UPDATE\s+"?\w+"?\s+SET\s)/i,
  ],
  ["a file path", /(\/work\/|\/src\/[\w/-]+\.ts|node_modules|file:\/\/|\.[jt]s:\d+:\d+)/],
  [
    "a runtime or library message",
    /(ZodError|TypeError|RangeError|SyntaxError|ReferenceError|Maximum call stack|DrizzleQueryError|Cannot read propert|is not a function|undefined is not)/,
  ],
];

/** A short, printable account of a request, for a failing case's message. */
export function describeRequest(req: FuzzRequest): string {
  const body =
    req.body === undefined
      ? "(no body)"
      : typeof req.body === "string"
        ? `${req.body.length} chars: ${JSON.stringify(req.body.slice(0, 160))}`
        : `${req.body.length} bytes: ${[...req.body.slice(0, 48)].map((b) => b.toString(16).padStart(2, "0")).join(" ")}`;
  return `${req.method} ${req.url.slice(0, 200)} [${req.kinds.join("; ")}] body ${body}`;
}

/**
 * The response invariants of every generated request: never a 5xx; every non-2xx is the uniform
 * problem body with a catalogue code; no body leaks a stack trace, SQL, a file path or a library
 * message; a request naming another tenant's resource never succeeds. Reads (or cancels) the body.
 */
export async function checkResponse(req: FuzzRequest, res: Response): Promise<void> {
  const where = describeRequest(req);
  if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    // A live stream never ends by itself; its opening frames are the stream tests' business.
    await res.body?.cancel();
    expect(res.status, where).toBe(200);
    expect(req.foreign, `${where}: a stream of another tenant's session`).toBe(false);
    return;
  }
  const text = await res.text();
  const context = `${where} → ${res.status} ${text.slice(0, 300)}`;
  expect(res.status, context).toBeLessThan(500);
  for (const [what, pattern] of LEAKS) expect(pattern.test(text), `${context}: leaks ${what}`).toBe(false);
  if (res.status >= 200 && res.status < 300) {
    expect(req.foreign, `${context}: succeeded on another tenant's resource`).toBe(false);
    return;
  }
  try {
    await problem(new Response(text, { status: res.status, headers: res.headers }));
  } catch (err) {
    throw new Error(`${context}: not the problem body: ${String(err)}`);
  }
}
