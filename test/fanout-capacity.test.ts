import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../src/session/rpc";
import { settledEvents, stored } from "./support/events";
import { callAs } from "./support/requests";
import { sessionSetup } from "./support/sessions";
import { openSocket, SocketReader } from "./support/socket-reader";

const SUBSCRIBERS = 100;
const MESSAGES = 60;

describe("fan-out capacity", () => {
  it(`delivers a burst of over 200 events to ${SUBSCRIBERS} subscribers of one session, each complete and in order, none holding back another`, async () => {
    const { t, session } = await sessionSetup();
    const sockets: SocketReader[] = [];
    for (let i = 0; i < SUBSCRIBERS; i += 1) sockets.push(new SocketReader(await openSocket(t, session.id, "?exclude=message.delta")));
    // One subscriber never reads; the others must not notice.
    const posts = Array.from({ length: MESSAGES }, (_, i) =>
      callAs(t, `/v1/sessions/${session.id}/messages`, { method: "POST", json: { message: { role: "user", content: [{ type: "text", text: `burst ${i}` }] } } }),
    );
    for (const res of await Promise.all(posts)) expect(res.status).toBe(201);
    const log = await settledEvents(t, session.id);
    const all = await listAll(t, session.id, log.at(-1)?.sequence ?? 0);
    expect(all.length).toBeGreaterThanOrEqual(200);
    const last = all.at(-1)?.sequence;
    const received = await Promise.all(sockets.slice(1).map((s) => s.collectUntil((e) => e.sequence === last && e.type !== "message.delta", 20_000)));
    for (const [i, events] of received.entries()) {
      expect(stored(events).map((e) => e.sequence), `subscriber ${i + 1}`).toEqual(all.map((e) => e.sequence));
    }
    for (const socket of sockets) socket.close();
  }, 60_000);
});

/** Every stored event of the session, through the JSON list's pages. */
async function listAll(t: Parameters<typeof callAs>[0], sessionId: string, head: number): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  while ((out.at(-1)?.sequence ?? 0) < head) {
    const res = await callAs(t, `/v1/sessions/${sessionId}/events?after_sequence=${out.at(-1)?.sequence ?? 0}&limit=1000`, { headers: { accept: "application/json" } });
    out.push(...((await res.json()) as { data: EventEnvelope[] }).data);
  }
  return out;
}
