import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { getTableName, is } from "drizzle-orm";
import { SQLiteTable } from "drizzle-orm/sqlite-core";
import { createApp } from "../../src/app";
import * as schema from "../../src/db/schema";
import type { Env } from "../../src/env";

/** A Rate Limiting binding that lets everything through: the suite sends thousands of requests a minute on purpose. */
const permissive: RateLimit = { limit: async () => ({ success: true }) };

/**
 * One app for the whole suite, with the API and login limits off and everything else as the
 * project configures it (the session objects are the runtime's own). Waits for background work,
 * so a request's writes are all done when its response is checked.
 */
export function fuzzClient(): (request: Request) => Promise<Response> {
  const app = createApp();
  const bindings: Env = { ...env, API_RATE_LIMIT: permissive, RATE_LIMIT_LOGIN_PER_MINUTE: "0" };
  return async (request) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(request, bindings, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
}

/**
 * Every table of the D1 schema, by name: a table added later is counted without touching this file.
 * Except the webhook delivery log, which the queue consumer writes on its own time, after the
 * request that queued a delivery has answered.
 */
const TABLES = (Object.values(schema) as unknown[]).flatMap((value) =>
  is(value, SQLiteTable) && value !== schema.webhookDeliveries ? [getTableName(value)] : [],
);

/** One statement counting every table: one consistent snapshot, one round trip. */
const COUNT_ALL = `SELECT ${TABLES.map((name) => `(SELECT count(*) FROM "${name}") AS "${name}"`).join(", ")}`;

/** Row counts of every D1 table. */
export async function d1RowCounts(): Promise<Record<string, number>> {
  const row = await env.DB.prepare(COUNT_ALL).first<Record<string, number>>();
  if (row === null) throw new Error("counting rows returned nothing");
  return row;
}

const CONSOLE_METHODS = ["log", "info", "warn", "error", "debug"] as const;

/** The log lines the Worker wrote since the last `take()`. */
export interface LogCapture {
  take(): string[];
  /** Puts the console back (the project's other files share this isolate). */
  restore(): void;
}

/**
 * Keeps the Worker's log lines in this isolate instead of handing each to the test runner: the
 * suite's thousands of requests write more access-log lines than the runner can pass along cheaply
 * (that was a third of the suite's CPU). A failing case shows its own lines with its error
 * (`withLogLines`).
 */
export function captureLogs(): LogCapture {
  // biome-ignore lint/suspicious/noConsole: console.log is the access log this keeps
  const original = Object.fromEntries(CONSOLE_METHODS.map((m) => [m, console[m]]));
  let lines: string[] = [];
  for (const method of CONSOLE_METHODS) {
    console[method] = (...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : String(a))).join(" "));
    };
  }
  return {
    take() {
      const taken = lines;
      lines = [];
      return taken;
    },
    restore() {
      Object.assign(console, original);
    },
  };
}

/** At most this many of a failing case's log lines go into its error (the last ones, nearest the failure). */
const MAX_LINES_SHOWN = 40;

/** `err` with the log lines of the request that failed appended to its message. */
export function withLogLines(err: unknown, lines: string[]): unknown {
  if (!(err instanceof Error) || lines.length === 0) return err;
  const shown = lines.slice(-MAX_LINES_SHOWN);
  const cut = lines.length > shown.length ? ` (the last ${shown.length} of ${lines.length})` : "";
  err.message += `\nthe Worker's log lines for this case${cut}:\n${shown.join("\n")}`;
  return err;
}
