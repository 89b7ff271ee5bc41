import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sleep } from "../support/async";
import { d1RowCounts } from "./client";
import type { IdsByPrefix } from "./values";

type Send = (request: Request) => Promise<Response>;

/** One tenant with one of everything, created through the API: what the generated requests aim at. */
export interface Fixture {
  ids: IdsByPrefix;
  headers: Record<string, string>;
}

const ORIGIN = "http://api.test";

async function json<T>(send: Send, path: string, init: RequestInit, headers: Record<string, string> = {}): Promise<T> {
  const res = await send(new Request(`${ORIGIN}${path}`, { ...init, headers: { "content-type": "application/json", ...headers } }));
  const text = await res.text();
  if (res.status >= 300) throw new Error(`fixture: ${init.method ?? "GET"} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Registers a tenant and gives it an agent, a session with one finished turn, a provider with a
 * model, and an API key (the one `key_id` names; requests authenticate with the access token).
 */
export async function createFixture(send: Send, label: string): Promise<Fixture> {
  const email = `fuzz-${label}-${crypto.randomUUID()}@example.test`;
  const registered = await json<{ access_token: string; user: { id: string; default_org_id: string } }>(send, "/v1/auth/register", {
    method: "POST",
    body: JSON.stringify({ email, password: `pw-${crypto.randomUUID()}`, name: `Fuzz ${label}` }),
  });
  const headers = { authorization: `Bearer ${registered.access_token}` };
  const post = <T>(path: string, body: unknown) => json<T>(send, path, { method: "POST", body: JSON.stringify(body) }, headers);
  const agent = await post<{ id: string }>("/v1/agents", { name: "fuzz", system_prompt: "p", capabilities: ["current_time", "test_math"] });
  const session = await post<{ id: string }>(`/v1/agents/${agent.id}/sessions`, { title: "fuzz" });
  await post(`/v1/sessions/${session.id}/messages`, { message: { role: "user", content: [{ type: "text", text: "hello" }] } });
  // llmsim: turns on the fixture's model never leave the machine.
  const provider = await post<{ id: string }>("/v1/llm-providers", { name: "fuzz", provider_type: "llmsim" });
  const model = await post<{ id: string }>(`/v1/llm-providers/${provider.id}/models`, { model_id: `fuzz-${label}` });
  const key = await post<{ id: string }>("/v1/auth/api-keys", { name: "fuzz" });
  const webhook = await post<{ id: string }>("/v1/webhooks", { url: "https://example.com/fuzz", event_types: ["session.deleted"] });
  const ids: IdsByPrefix = {
    org: registered.user.default_org_id,
    user: registered.user.id,
    agent: agent.id,
    session: session.id,
    provider: provider.id,
    model: model.id,
    key: key.id,
    webhook: webhook.id,
    capability: "current_time",
  };
  const fixture = { ids, headers };
  await settled(fixture, true);
  return fixture;
}

/** What a refused request must leave as it was: every D1 table's row count, and the fixture session's events and messages. */
export interface Snapshot {
  rows: Record<string, number>;
  session: { events: number; messages: number; idle: boolean } | null;
}

/**
 * The fixture session's stored events and messages, counted in its object's own storage (one call,
 * every row; null once the session is gone), and whether it is idle: every turn started has ended.
 */
async function sessionCounts(fixture: Fixture): Promise<Snapshot["session"]> {
  const id = fixture.ids.session;
  if (id === undefined) throw new Error("the fixture has no session");
  return runInDurableObject(env.SESSIONS.get(env.SESSIONS.idFromName(id)), (_instance, state) => {
    const sql = state.storage.sql;
    const count = (table: string) => Number(sql.exec(`SELECT count(*) AS n FROM "${table}"`).one()["n"]);
    // A deleted session's storage is wiped: no tables, or (once the object starts again) empty ones.
    const tables = sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'session'").one()["n"];
    if (Number(tables) === 0 || count("session") === 0) return null;
    const last = sql.exec("SELECT type FROM events ORDER BY sequence DESC LIMIT 1").toArray()[0]?.["type"];
    return { events: count("events"), messages: count("messages"), idle: last === undefined || last === "session.completed" };
  });
}

export async function snapshot(fixture: Fixture, withSession: boolean): Promise<Snapshot> {
  const [rows, session] = await Promise.all([d1RowCounts(), withSession ? sessionCounts(fixture) : Promise.resolve(null)]);
  return { rows, session };
}

/**
 * The snapshot once background work has finished: a session whose turn runs is waited for, and
 * the counts must hold still over two reads (a session object writes its D1 index row after it
 * answers). Used as the new baseline after a request that succeeded.
 */
export async function settled(fixture: Fixture, withSession: boolean): Promise<Snapshot> {
  let last = await snapshot(fixture, withSession);
  for (let i = 0; i < 100; i += 1) {
    await sleep(15);
    const next = await snapshot(fixture, withSession);
    const idle = next.session === null || next.session.idle;
    if (idle && JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
  throw new Error(`the fixture never settled: ${JSON.stringify(last)}`);
}
