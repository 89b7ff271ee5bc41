/** The prefixes of the API's ids: `{prefix}_{32 lowercase hex}` built from a UUIDv7. */
export const ID_PREFIXES = [
  "org",
  "user",
  "key",
  "agent",
  "session",
  "message",
  "event",
  "turn",
  "provider",
  "model",
  "rtok",
  "harness",
  "mcpsrv",
  "webhook",
  "msg",
  "delivery",
] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

let lastMs = 0;
let counter = 0;

/**
 * The bytes of a new UUIDv7 (RFC 9562): time first, the rest random with the version and variant
 * bits set. The 12-bit `rand_a` field holds a counter within one millisecond
 * (method 1), so ids minted by one isolate sort in creation order.
 */
export function timeOrderedUuid(): Uint8Array {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    counter = new DataView(crypto.getRandomValues(new Uint8Array(2)).buffer).getUint16(0) & 0x3ff;
  } else if (counter < 0xfff) {
    counter += 1;
  } else {
    lastMs += 1;
    counter = 0;
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const ms = lastMs;
  for (let i = 5; i >= 0; i -= 1) bytes[5 - i] = Math.floor(ms / 2 ** (8 * i)) & 0xff;
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  return bytes;
}

/** `{prefix}_{32 lowercase hex}` of 16 bytes. */
export function formatId(prefix: IdPrefix, bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return `${prefix}_${hex}`;
}

/** A new time-ordered id. */
export function newId(prefix: IdPrefix): string {
  return formatId(prefix, timeOrderedUuid());
}

const ID_SHAPE = /^([a-z]+)_([0-9a-f]{32})$/;

/** The one field message for an id of the wrong prefix or shape (it names the shape, never the value sent). */
export function idFormatMessage(prefix: IdPrefix): string {
  return `Must be an id of the form ${prefix}_ followed by 32 lowercase hex characters`;
}

/** True when `value` is an id of the given prefix and shape. */
export function isId(prefix: IdPrefix, value: string): boolean {
  const m = ID_SHAPE.exec(value);
  return m !== null && m[1] === prefix;
}
