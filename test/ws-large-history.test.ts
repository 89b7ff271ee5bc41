import { describe, expect, it } from "vitest";
import { settledEvents } from "./support/events";
import { callAs } from "./support/requests";
import { sessionSetup } from "./support/sessions";
import { openSocket, SocketReader } from "./support/socket-reader";

describe("a WebSocket client that reads", () => {
  it("gets a whole history of events near the size limit, none dropped as a slow consumer", async () => {
    const { t, session } = await sessionSetup();
    // Three parts of 250 KB: each message.created, and each reply's, is near the 1 MiB body limit.
    for (let i = 0; i < 3; i += 1) {
      const content = [0, 1, 2].map((p) => ({ type: "text", text: `${i}${p}${"x".repeat(250 * 1024)}` }));
      const res = await callAs(t, `/v1/sessions/${session.id}/messages`, { method: "POST", json: { message: { role: "user", content } } });
      expect(res.status).toBe(201);
      await res.text();
    }
    const log = await settledEvents(t, session.id, 3);
    const socket = new SocketReader(await openSocket(t, session.id, "?after_sequence=0"));
    const got = await socket.collectUntil((e) => e.sequence === log.at(-1)?.sequence && e.type === log.at(-1)?.type, 20_000);
    socket.close();
    expect(socket.closed).toBeNull();
    expect(got.filter((e) => e.type !== "message.delta").map((e) => e.sequence)).toEqual(log.map((e) => e.sequence));
  }, 60_000);
});
