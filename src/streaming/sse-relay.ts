import { concatBytes } from "../lib/bytes";
import { sleep } from "../lib/sleep";
import { connectedFrame, type DisconnectReason, disconnectingFrame, heartbeatFrame, retryFrame } from "../lib/sse";
import type { StreamSettings } from "../lib/stream-settings";
import { CLOSE_CODES, STREAM } from "../session/rpc";
import { type FeedMember, parseFeedFrame, parseJoined, type SharedFeed } from "./shared-feed";

/** EventSource waits this long before reconnecting after an error. */
const RETRY_MS = 1000;
/** What `disconnecting` asks a client to wait: short, so a cycle costs no visible pause. */
const RECONNECT_AFTER_MS = 250;
/** The stream's own queue: what the runtime holds for a client before backlog counts as unread. */
const HIGH_WATER_BYTES = 16 * 1024;
/** After a cycle, how long the relay waits for the client to read what it was sent before saying goodbye. */
const FLUSH_LIMIT_MS = 5_000;
/**
 * A pause between the last event and `disconnecting`, so they never share a network chunk (the
 * TypeScript SDK drops events read together with it).
 */
const QUIET_BEFORE_DISCONNECT_MS = 100;
/** A stream the server ended keeps its queue this long for the client to read; then it is discarded. */
const DRAIN_GRACE_MS = 10_000;

const encoder = new TextEncoder();

/** A frame's part at least this large is written on its own (shared by the streams), not copied into a batch. */
const SHARED_PART_BYTES = 64 * 1024;

/** A relay's feed of live events (shared with the other relays of its relay object), and when the credential that opened it expires (ms, or null). */
export interface SharedLive {
  feed: SharedFeed;
  expiresAt: number | null;
}

/**
 * Terminates a client's SSE stream, in the Worker or, with `shared`, in the session's relay object
 * (relay-object.ts): the events come from the session object over `socket` (a WebSocket the
 * object accepted as hibernatable, so the object sleeps while the session is quiet), except that a
 * shared relay's live events come from its relay object's feed. The relay adds what a long-lived
 * HTTP stream needs: `retry:` and `connected` first, a heartbeat comment every `heartbeatMs`, a
 * jittered connection cycle with `disconnecting`, and slow-consumer handling. Replay is paced by
 * the client: the object sends a page, and the relay asks for the next (`pull`) once its queue
 * has room. A client that vanished is noticed when a
 * write to it fails (the runtime then cancels the stream); the object asks for such a write
 * (`probe`) before it refuses a subscriber for a full cap.
 */
export function relaySse(socket: WebSocket, settings: StreamSettings, shared?: SharedLive): ReadableStream<Uint8Array> {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let relaying = true;
  let pullOwed = false;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let cycle: ReturnType<typeof setTimeout> | undefined;
  let drain: ReturnType<typeof setTimeout> | undefined;
  /** Where it is in its feed once it has joined: the number of the next frame that is its, and its filter key. */
  let joined: { epoch: string; next: number; key: string } | null = null;
  /** Whether this socket carried feed frames (its close lets frames waiting for its last ones go on). */
  let carried = false;

  /**
   * The largest chunk written so far: the backlog limit is never below two of them, so one large
   * event (a reply or tool result of up to a stored row, which no client reads in an instant) never
   * cuts a client that reads, as for client WebSockets (`MIN_BACKLOG_BYTES`).
   */
  let largest = 0;
  const backlog = () => HIGH_WATER_BYTES - (controller?.desiredSize ?? 0);
  const enqueue = (chunk: string | Uint8Array): boolean => {
    const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    largest = Math.max(largest, bytes.length);
    try {
      controller?.enqueue(bytes);
      return true;
    } catch {
      return false; // the client is gone
    }
  };
  const write = (chunk: string | Uint8Array) => {
    if (!relaying) return;
    if (backlog() > Math.max(settings.maxBufferedBytes, 2 * largest)) {
      void end("slow_consumer");
      return;
    }
    if (!enqueue(chunk)) stop();
  };
  /** Stops relaying: timers off, out of the feed, the object's socket closed (its slot is free at once). */
  const stop = () => {
    relaying = false;
    shared?.feed.leave(member);
    if (heartbeat !== undefined) clearInterval(heartbeat);
    if (cycle !== undefined) clearTimeout(cycle);
    try {
      socket.close(1000, "relay closed");
    } catch {
      // already closed
    }
  };
  /** Ends the stream from the server side with `disconnecting`; the client resumes from its last id. */
  const end = async (reason: DisconnectReason) => {
    if (!relaying) return;
    stop();
    if (reason !== "slow_consumer") {
      // Flush first: a client that stops reading at `disconnecting` must have everything before it.
      // One that must authenticate again is not waited for: it resumes from its last id anyway.
      const until = Date.now() + (reason === "reauthenticate" ? 0 : FLUSH_LIMIT_MS);
      while (backlog() > 0 && Date.now() < until) await sleep(20);
      await sleep(QUIET_BEFORE_DISCONNECT_MS);
    }
    if (!enqueue(disconnectingFrame(reason, RECONNECT_AFTER_MS))) return;
    try {
      controller?.close();
    } catch {
      return;
    }
    drain = setTimeout(() => controller?.error(new Error("stream closed by the server")), DRAIN_GRACE_MS);
  };

  /** Its share of the feed's frames, in order, in one write; a relay that missed a frame ends, and its client resumes from its last id. */
  const member: FeedMember = {
    deliver(frames) {
      if (!relaying || !joined) return;
      // Its credential expired: the object is closing its socket, and it gets nothing more meanwhile.
      if (shared?.expiresAt != null && shared.expiresAt <= Date.now()) return leaveFeed("reauthenticate");
      const parts: Uint8Array[] = [];
      let missed = false;
      for (const frame of frames) {
        if (frame.epoch !== joined.epoch) joined = { ...joined, epoch: frame.epoch, next: frame.n }; // the session object restarted
        if (frame.n < joined.next) continue;
        if (frame.n > joined.next) {
          missed = true;
          break;
        }
        joined.next += 1;
        const bytes = frame.bytesFor(joined.key);
        if (bytes) parts.push(bytes);
      }
      writeParts(parts);
      // What came before the gap is written; the client resumes after it.
      if (missed) leaveFeed("server_restart");
    },
  };
  /**
   * Small parts go together as one chunk; a large one goes as it is, shared with the feed's other
   * streams of its filter (the runtime reads a chunk without taking it over), so a large event is
   * held once per relay object, not once per stream.
   */
  const writeParts = (parts: readonly Uint8Array[]) => {
    let small: Uint8Array[] = [];
    const flushSmall = () => {
      if (small.length > 0) write(small.length === 1 && small[0] ? small[0] : concatBytes(small));
      small = [];
    };
    for (const part of parts) {
      if (part.length < SHARED_PART_BYTES) {
        small.push(part);
        continue;
      }
      flushSmall();
      write(part);
    }
    flushSmall();
  };
  const leaveFeed = (reason: DisconnectReason) => {
    joined = null;
    void end(reason);
  };
  /** Its last replay page: its live events come from the feed from the next frame on (with those the feed already passed on). */
  const join = (page: Uint8Array) => {
    const parsed = parseJoined(page);
    if (!parsed || !shared) return void end("server_restart");
    write(parsed.sse);
    joined = { epoch: parsed.position.epoch, next: parsed.position.n + 1, key: parsed.position.key };
    const missed = shared.feed.since(parsed.position);
    if (missed === null) return leaveFeed("server_restart");
    member.deliver(missed);
  };

  socket.addEventListener("message", (event) => {
    if (event.data === STREAM.probe) {
      write(heartbeatFrame());
      return;
    }
    // The object's bytes go to the client as they are: kind first, then SSE text (rpc.ts STREAM).
    if (!(event.data instanceof ArrayBuffer) || event.data.byteLength === 0) return;
    const frame = new Uint8Array(event.data);
    if (frame[0] === STREAM.feed) {
      // For every relay of the feed, also after this one stopped: the object chose its socket to carry them.
      carried = true;
      const parsed = parseFeedFrame(frame);
      if (parsed) shared?.feed.receive(parsed);
      return;
    }
    if (frame[0] === STREAM.joined) return join(frame);
    write(frame.subarray(1));
    if (frame[0] === STREAM.page) {
      if ((controller?.desiredSize ?? 0) > 0) socket.send(STREAM.pull);
      else pullOwed = true;
    }
  });
  const onServerClose = (event: Event) => {
    if (carried) shared?.feed.carrierClosed();
    if (!relaying) return;
    const code = "code" in event && typeof event.code === "number" ? event.code : 0;
    if (code === CLOSE_CODES.sessionDeleted) {
      stop();
      try {
        controller?.close();
      } catch {
        // the client left first
      }
      return;
    }
    void end(code === CLOSE_CODES.reauthenticate ? "reauthenticate" : "server_restart");
  };
  socket.addEventListener("close", onServerClose);
  socket.addEventListener("error", onServerClose);

  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        shared?.feed.join(member);
        enqueue(retryFrame(RETRY_MS) + connectedFrame());
        heartbeat = setInterval(() => write(heartbeatFrame()), settings.heartbeatMs);
        cycle = setTimeout(() => void end("connection_cycle"), Math.round(settings.cycleMs * (0.8 + Math.random() * 0.4)));
        socket.binaryType = "arraybuffer"; // the standard default is Blob, which costs a read per message
        socket.accept();
      },
      pull() {
        if (!pullOwed || !relaying) return;
        pullOwed = false;
        socket.send(STREAM.pull);
      },
      cancel() {
        stop();
        if (drain !== undefined) clearTimeout(drain);
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER_BYTES }),
  );
}
