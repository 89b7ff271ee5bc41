import { concatBytes } from "../lib/bytes";

/** One frame of a shared feed, parsed once for every relay of the isolate. */
export interface FeedFrame {
  epoch: string;
  n: number;
  /** The SSE bytes of the events a relay with this filter key wants (null: none). */
  bytesFor(key: string): Uint8Array | null;
}

/** Where a relay joins its feed: frames numbered above `n` (in `epoch`) are its. */
export interface FeedPosition {
  epoch: string;
  n: number;
  key: string;
}

/** A relay of the feed: it is handed the frames in order, in whichever request carried them. */
export interface FeedMember {
  deliver(frames: readonly FeedFrame[]): void;
}

const decoder = new TextDecoder();

/** The JSON line that opens a `joined` or `feed` message, and where the bytes after it start. */
function headerOf(bytes: Uint8Array): { header: Record<string, unknown>; body: number } | null {
  const newline = bytes.indexOf(0x0a, 1);
  if (newline < 0) return null;
  try {
    return { header: JSON.parse(decoder.decode(bytes.subarray(1, newline))) as Record<string, unknown>, body: newline + 1 };
  } catch {
    return null;
  }
}

/** A `joined` page: where the relay joins its feed, and the page's SSE text. */
export function parseJoined(bytes: Uint8Array): { position: FeedPosition; sse: Uint8Array } | null {
  const parsed = headerOf(bytes);
  if (!parsed) return null;
  const { e, n, k } = parsed.header;
  if (typeof e !== "string" || typeof n !== "number" || typeof k !== "string") return null;
  return { position: { epoch: e, n, key: k }, sse: bytes.subarray(parsed.body) };
}

/** A `feed` frame (rpc.ts STREAM): its number, and the events each filter key wants. */
export function parseFeedFrame(bytes: Uint8Array): FeedFrame | null {
  const parsed = headerOf(bytes);
  if (!parsed) return null;
  const { e, n, l, g } = parsed.header as { e?: unknown; n?: unknown; l?: unknown; g?: unknown };
  if (typeof e !== "string" || typeof n !== "number" || !Array.isArray(l) || typeof g !== "object" || g === null) return null;
  const starts: number[] = [];
  let at = parsed.body;
  for (const length of l as number[]) {
    starts.push(at);
    at += length;
  }
  const groups = g as Record<string, number[] | undefined>;
  const made = new Map<string, Uint8Array | null>();
  return {
    epoch: e,
    n,
    bytesFor(key) {
      if (made.has(key)) return made.get(key) ?? null;
      const indexes = groups[key];
      const out =
        indexes && indexes.length > 0
          ? concatBytes(indexes.map((i) => bytes.subarray(starts[i] ?? 0, (starts[i] ?? 0) + ((l as number[])[i] ?? 0))))
          : null;
      made.set(key, out);
      return out;
    },
  };
}

/** Frames kept for a relay whose `joined` page arrives after the frames that follow it. */
const RECENT_FRAMES = 256;

/**
 * The live events of one session, shared by the SSE relays of one relay object. The session
 * object sends each frame once, on one relay's socket (the carrier); the carrier hands it to every
 * relay of the feed. Frames are passed on in number order: when the carrier changes, frames of the
 * new carrier wait for the old one's last frames (or its close).
 */
export class SharedFeed {
  readonly id = crypto.randomUUID();
  readonly #members = new Set<FeedMember>();
  #epoch: string | null = null;
  #last = 0;
  readonly #held = new Map<number, FeedFrame>();
  readonly #recent: FeedFrame[] = [];
  /** Frames passed on since the members were last handed theirs (they get them together, in one write each). */
  #outbox: FeedFrame[] = [];

  join(member: FeedMember): void {
    this.#members.add(member);
  }

  leave(member: FeedMember): void {
    this.#members.delete(member);
  }

  /** A frame from a carrier: passed on in order; a later one waits for those before it. */
  receive(frame: FeedFrame): void {
    if (frame.epoch !== this.#epoch) {
      // The first frame, or the object restarted: its count starts again. What the old count passed
      // on goes to the members first, so none of it arrives after frames of the new count.
      this.carrierClosed();
      this.#handOut();
      this.#epoch = frame.epoch;
      this.#last = frame.n - 1;
      this.#recent.length = 0;
    }
    if (frame.n <= this.#last) return;
    this.#held.set(frame.n, frame);
    for (let next = this.#held.get(this.#last + 1); next; next = this.#held.get(this.#last + 1)) {
      this.#held.delete(next.n);
      this.#pass(next);
    }
  }

  /** A carrier's socket closed: frames waiting for its last ones go on (a relay that misses one resumes). */
  carrierClosed(): void {
    for (const n of [...this.#held.keys()].sort((a, b) => a - b)) {
      const frame = this.#held.get(n);
      this.#held.delete(n);
      if (frame) this.#pass(frame);
    }
  }

  /** The frames after `position` this isolate already has, or null when some of them are no longer kept. */
  since(position: FeedPosition): FeedFrame[] | null {
    if (position.epoch !== this.#epoch || this.#last <= position.n) return [];
    const first = this.#recent[0];
    if (!first || first.n > position.n + 1) return null;
    return this.#recent.filter((f) => f.n > position.n);
  }

  #pass(frame: FeedFrame): void {
    this.#last = frame.n;
    this.#recent.push(frame);
    if (this.#recent.length > RECENT_FRAMES) this.#recent.shift();
    // The frames that arrive together (a turn's events come in quick succession) go to each member
    // together: one write per stream instead of one per frame, which is what fan-out costs.
    if (this.#outbox.push(frame) === 1) setTimeout(() => this.#handOut(), 0);
  }

  #handOut(): void {
    const frames = this.#outbox;
    if (frames.length === 0) return;
    this.#outbox = [];
    for (const member of this.#members) member.deliver(frames);
  }
}
