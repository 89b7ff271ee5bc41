import { createHmac } from "node:crypto";
import { formatId, timeOrderedUuid } from "../lib/ids";

/**
 * Ids of `message.delta` envelopes. A delta is not stored, yet its id is a cursor: it resumes
 * after the stored event the delta follows. So the id carries that event's sequence itself, and
 * resolving it needs no row. (A row per delta would be a storage write per delta, and the runtime
 * holds an object's output until its writes are durable: every delta would wait for one.)
 *
 * The id is an event id like any other, a UUIDv7, whose 62 random bits (`rand_b`, which RFC 9562
 * lets an implementation fill as it needs) hold a 30-bit MAC and the 32-bit sequence. The MAC is
 * HMAC-SHA256 under the session's own secret key (`deltaIdKey`) over the rest of the id, so only
 * the session can make one: an id of another session, a mangled one or one built by anyone else
 * is refused as a cursor like any id this session never handed out (a guess passes one in 2^30).
 */
export function newDeltaId(key: string, sequence: number): string {
  const bytes = timeOrderedUuid();
  const view = new DataView(bytes.buffer);
  view.setUint32(12, sequence);
  view.setUint32(8, 0x8000_0000 | macOf(key, bytes)); // the variant (10), then the MAC
  return formatId("event", bytes);
}

const EVENT_ID = /^event_([0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15})$/;

/** The sequence a delta id made with `key` follows, or null for any other string. */
export function deltaIdSequence(key: string, id: string): number | null {
  const hex = EVENT_ID.exec(id)?.[1];
  if (!hex) return null;
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i += 1) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  const view = new DataView(bytes.buffer);
  return (view.getUint32(8) & 0x3fff_ffff) === macOf(key, bytes) ? view.getUint32(12) : null;
}

/** Where the session object keeps its key (its synchronous KV storage, wiped with the session). */
const KEY_NAME = "delta_id_key";

/** The session's delta-id key: 32 random bytes (hex), made on first use and kept in the object's storage. */
export function deltaIdKey(storage: DurableObjectStorage): string {
  const stored = storage.kv.get<string>(KEY_NAME);
  if (stored) return stored;
  const key = [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");
  storage.kv.put(KEY_NAME, key);
  return key;
}

/** 30 bits of HMAC-SHA256 under `key` over the time and counter (bytes 0–7) and the sequence (12–15). */
function macOf(key: string, bytes: Uint8Array): number {
  const mac = createHmac("sha256", key).update(bytes.subarray(0, 8)).update(bytes.subarray(12, 16)).digest();
  return mac.readUInt32BE(0) & 0x3fff_ffff;
}
