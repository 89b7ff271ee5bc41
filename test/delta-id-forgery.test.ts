import { describe, it } from "vitest";
import { formatId, timeOrderedUuid } from "../src/lib/ids";
import { settledEvents } from "./support/events";
import { expectProblem } from "./support/problems";
import { callAs } from "./support/requests";
import { sendMessage } from "./support/resources";
import { sessionSetup } from "./support/sessions";

/** A delta id built the way an outsider would, knowing the format: an unkeyed check over the session id and the id. */
function forgedDeltaId(sessionId: string, sequence: number): string {
  const bytes = timeOrderedUuid();
  const view = new DataView(bytes.buffer);
  view.setUint32(12, sequence);
  let h = 0x811c9dc5;
  const mix = (b: number) => {
    h = Math.imul(h ^ b, 0x01000193);
  };
  for (let i = 0; i < sessionId.length; i += 1) mix(sessionId.charCodeAt(i) & 0xff);
  for (const i of [0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15]) mix(bytes[i] ?? 0);
  view.setUint32(8, 0x8000_0000 | ((h >>> 0) & 0x3fff_ffff));
  return formatId("event", bytes);
}

describe("delta ids", () => {
  it("cannot be forged: an id built without the session's key is not a cursor (400 invalid_cursor)", async () => {
    const { t, session } = await sessionSetup();
    await sendMessage(t, session.id, "hello");
    await settledEvents(t, session.id, 1);
    const forged = forgedDeltaId(session.id, 1);
    await expectProblem(
      await callAs(t, `/v1/sessions/${session.id}/events?since_id=${forged}`, { headers: { accept: "application/json" } }),
      400,
      "invalid_cursor",
      ["query.since_id"],
    );
  });
});
