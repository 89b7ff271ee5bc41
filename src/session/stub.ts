import type { Env } from "../env";

/** The Durable Object of a session: one per session id, found by name. */
export function sessionStub(env: Pick<Env, "SESSIONS">, sessionId: string) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(sessionId));
}
