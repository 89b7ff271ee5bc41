import { formatId, timeOrderedUuid } from "../lib/ids";

/**
 * Ids of `message.delta` envelopes. A delta is not stored, yet its id is a cursor: it resumes
 * after the stored event the delta follows. So the id carries that event's sequence itself, and
 * resolving it needs no row. (A row per delta would be a storage write per delta, and the runtime
 * holds an object's output until its writes are durable: every delta would wait for one.)
 *
 * The id is an event id like any other, a UUIDv7, whose 62 random bits (`rand_b`, which RFC 9562
 * lets an implementation fill as it needs) hold a 30-bit check and the 32-bit sequence. The check
 * is a hash of the rest of the id and the session's id, so an id of another session or a mangled
 * one is refused as a cursor like any id this session never handed out. A stored event's id is
 * looked up first; a random id that passes the check (one in 2^30) names a point in the log the
 * caller may read anyway, as `after_sequence` does.
 */
export function newDeltaId(sessionId: string, sequence: number): string {
  const bytes = timeOrderedUuid();
  const view = new DataView(bytes.buffer);
  view.setUint32(12, sequence);
  view.setUint32(8, 0x8000_0000 | checkOf(sessionId, bytes)); // the variant (10), then the check
  return formatId("event", bytes);
}

const EVENT_ID = /^event_([0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15})$/;

/** The sequence a delta id of this session follows, or null for any other string. */
export function deltaIdSequence(sessionId: string, id: string): number | null {
  const hex = EVENT_ID.exec(id)?.[1];
  if (!hex) return null;
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i += 1) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  const view = new DataView(bytes.buffer);
  return (view.getUint32(8) & 0x3fff_ffff) === checkOf(sessionId, bytes) ? view.getUint32(12) : null;
}

/** 30 bits of FNV-1a over the session id, the time and counter (bytes 0–7) and the sequence (12–15). */
function checkOf(sessionId: string, bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  const mix = (b: number) => {
    h = Math.imul(h ^ b, 0x01000193);
  };
  for (let i = 0; i < sessionId.length; i += 1) mix(sessionId.charCodeAt(i) & 0xff);
  for (const i of [0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15]) mix(bytes[i] ?? 0);
  return (h >>> 0) & 0x3fff_ffff;
}
