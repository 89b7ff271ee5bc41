import { sleep } from "../lib/sleep";
import { eventFrame } from "../lib/sse";
import { type EventEnvelope, wants } from "./events";
import {
  callerTag,
  DRAIN_LOW_WATER_BYTES,
  DRAIN_POLL_MS,
  DRAIN_WAIT_MS,
  MIN_BACKLOG_BYTES,
  PAGE_BYTES,
  PAGE_EVENTS,
  relayFrame,
  tooFarBehind,
} from "./fanout-wire";
import { type Encoded, Feeds } from "./feeds";
import { LiveReply } from "./live-reply";
import { CLOSE_CODES, STREAM } from "./rpc";
import { credentialKey, isExpired, type StreamCredential } from "./stream-credential";
import type { FanoutLimits, ReplaySource, SubscriberState } from "./subscriber-state";

export { MIN_BACKLOG_BYTES, tooFarBehind } from "./fanout-wire";
export type { FanoutLimits, ReplaySource, SubscriberState } from "./subscriber-state";

/** How long a subscriber refused for a full cap waits while the relays probe their clients. */
const PROBE_WAIT_MS = 250;

/**
 * The session's subscribers, as hibernatable WebSockets the object accepted (`ctx.acceptWebSocket`).
 * Each socket's state is its attachment, so the object can be evicted while clients stay connected
 * and rebuild everything from storage and attachments when an event wakes it; between events it
 * holds no timer, interval or pending promise. Replay reads the object's own storage synchronously,
 * so the hand-over to live has no gap and no duplicate: the last page and going live are one step.
 */
export class Fanout {
  readonly #ctx: DurableObjectState;
  readonly #limits: FanoutLimits;
  /** Attachments read since the object woke (deserializing is not free on every event). */
  readonly #states = new Map<WebSocket, SubscriberState>();
  /** The reply streaming now, for a subscriber that goes live mid-reply. */
  readonly #reply = new LiveReply();
  /** The relay objects' shared feeds of live events (feeds.ts). */
  readonly #feeds = new Feeds();

  constructor(ctx: DurableObjectState, limits: FanoutLimits) {
    this.#ctx = ctx;
    this.#limits = { ...limits, maxBufferedBytes: Math.max(limits.maxBufferedBytes, MIN_BACKLOG_BYTES) };
  }

  /** Which cap another subscriber of `caller` would pass, if any. */
  overCap(caller: string): "session" | "caller" | null {
    if (this.#ctx.getWebSockets().length >= this.#limits.maxStreams) return "session";
    if (this.#ctx.getWebSockets(callerTag(caller)).length >= this.#limits.maxPerCaller) return "caller";
    return null;
  }

  /**
   * Which cap a new subscriber of `caller` would pass, if any, looking twice: a full cap may hold
   * clients that left without a word (a dropped network, a closed tab), so the relays are asked to
   * write to theirs first (`probe`) and the caps are counted again after a short wait.
   */
  async capReached(caller: string): Promise<"session" | "caller" | null> {
    const cap = this.overCap(caller);
    if (!cap) return null;
    this.probe(cap === "caller" ? caller : null);
    await sleep(PROBE_WAIT_MS);
    return this.overCap(caller);
  }

  /**
   * Asks relays to write to their clients now (all of them, or those of `caller`): a client that
   * vanished without closing holds its slot until a write to it fails, which otherwise waits for
   * the next heartbeat (15 s). Client sockets need no probe: the runtime reads them and sees a close.
   */
  probe(caller: string | null): void {
    for (const ws of this.#ctx.getWebSockets(caller === null ? "relay" : callerTag(caller))) {
      if (this.#stateOf(ws)?.mode === "relay") this.#send(ws, STREAM.probe);
    }
  }

  /** Accepts a subscriber and starts its replay; returns the socket's client end. */
  accept(source: ReplaySource, state: SubscriberState, protocol: string | null): Response {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.#ctx.acceptWebSocket(server, [state.mode, callerTag(state.caller)]);
    this.#save(server, state);
    this.#replay(server, state, source);
    return new Response(null, { status: 101, webSocket: client, headers: protocol ? { "sec-websocket-protocol": protocol } : {} });
  }

  /** A relay asks for the next replay page. */
  onMessage(ws: WebSocket, message: string | ArrayBuffer, source: ReplaySource): void {
    const state = this.#stateOf(ws);
    if (message !== STREAM.pull || !state || state.live) return;
    if (isExpired(state.credential, Date.now())) {
      this.#letGo(ws, CLOSE_CODES.reauthenticate, "reauthenticate");
      return;
    }
    this.#replay(ws, state, source);
  }

  /** A subscriber left (the client went away, or its relay closed): its slot is free at once. */
  onClose(ws: WebSocket): void {
    this.#states.delete(ws);
    try {
      ws.close(1000, "closed");
    } catch {
      // already closed
    }
  }

  /** Whether anyone is subscribed. */
  get subscribed(): boolean {
    return this.#ctx.getWebSockets().length > 0;
  }

  /** The credentials of the subscribers, each once. */
  credentials(): StreamCredential[] {
    const byKey = new Map<string, StreamCredential>();
    for (const ws of this.#ctx.getWebSockets()) {
      const credential = this.#stateOf(ws)?.credential;
      if (credential) byKey.set(credentialKey(credential), credential);
    }
    return [...byKey.values()];
  }

  /**
   * Ends the streams of these credentials (and any subscriber that carries none) with the close
   * code that tells the client to authenticate again; nothing more is sent to them.
   */
  endCredentials(keys: ReadonlySet<string>): void {
    for (const ws of this.#ctx.getWebSockets()) {
      const credential = this.#stateOf(ws)?.credential;
      if (!credential || keys.has(credentialKey(credential))) this.#letGo(ws, CLOSE_CODES.reauthenticate, "reauthenticate");
    }
  }

  /** Sends stored (or delta) events to every live subscriber that wants them; each event is encoded once. */
  broadcast(envelopes: EventEnvelope[]): void {
    const now = Date.now();
    for (const envelope of envelopes) this.#reply.track(envelope);
    const encoded: Encoded[] = envelopes.map((envelope, index) => ({ envelope, index, json: JSON.stringify(envelope), sse: "" }));
    // Relays that want the same events (all of them, unless they filter) get the same bytes.
    const relayFrames = new Map<string, Uint8Array>();
    for (const ws of this.#ctx.getWebSockets()) {
      const state = this.#stateOf(ws);
      if (!state?.live) continue;
      if (!state.credential || isExpired(state.credential, now)) {
        // Its credential expired since the last sweep: it gets nothing more.
        this.#letGo(ws, CLOSE_CODES.reauthenticate, "reauthenticate");
        continue;
      }
      const wanted = encoded.filter((e) => wants(state.filter, e.envelope));
      if (state.mode === "relay" && state.feed) {
        this.#feeds.add(state.feed, ws, state, wanted); // its feed's one frame carries its events
        continue;
      }
      if (wanted.length === 0) continue;
      if (state.mode === "relay") {
        const key = wanted.map((e) => e.index).join(",");
        let frame = relayFrames.get(key);
        if (!frame) {
          frame = relayFrame(STREAM.live, wanted.map((e) => (e.sse ||= eventFrame(e.envelope, e.json))).join(""));
          relayFrames.set(key, frame);
        }
        this.#send(ws, frame);
      } else {
        for (const e of wanted) if (!this.#sendToClient(ws, e.json)) break;
      }
    }
    const promote = (ws: WebSocket, state: SubscriberState) => this.#save(ws, { ...state, carrier: true });
    this.#feeds.flush(encoded, (ws, frame) => this.#send(ws, frame), promote);
  }

  /** Closes every subscriber (the session is being deleted). */
  closeAll(): void {
    for (const ws of this.#ctx.getWebSockets()) {
      this.#states.delete(ws);
      try {
        ws.close(CLOSE_CODES.sessionDeleted, "session deleted");
      } catch {
        // already closed
      }
    }
  }

  #stateOf(ws: WebSocket): SubscriberState | null {
    let state = this.#states.get(ws);
    if (!state) {
      state = (ws.deserializeAttachment() as SubscriberState | null) ?? undefined;
      if (state) this.#states.set(ws, state);
    }
    return state ?? null;
  }

  #save(ws: WebSocket, state: SubscriberState): void {
    this.#states.set(ws, state);
    ws.serializeAttachment(state);
  }

  /**
   * Sends stored events after the subscriber's cursor. A relay gets one page, then waits for it
   * to pull (its client paces a long history); a client socket gets pages until it has caught
   * up, and between pages its queue may drain (`#drain`). Reaching the head, the subscriber goes
   * live in the same step as the last page, with the reply so far as one delta if a reply is
   * streaming.
   */
  #replay(ws: WebSocket, state: SubscriberState, source: ReplaySource): void {
    if (state.mode === "relay") {
      this.#replayPage(ws, state, source);
      return;
    }
    if (this.#replayPage(ws, state, source) !== "more") return;
    void this.#replayRest(ws, state, source).catch(() => this.#letGo(ws, CLOSE_CODES.sendFailed, "send failed"));
  }

  /** The client socket's pages after the first: each waits for the queue to drain, and stops if the socket was let go. */
  async #replayRest(ws: WebSocket, state: SubscriberState, source: ReplaySource): Promise<void> {
    for (;;) {
      await this.#drain(ws);
      if (this.#states.get(ws) !== state) return; // closed, let go, or its credential ended while it drained
      if (isExpired(state.credential, Date.now())) {
        this.#letGo(ws, CLOSE_CODES.reauthenticate, "reauthenticate");
        return;
      }
      if (this.#replayPage(ws, state, source) !== "more") return;
    }
  }

  /** Waits (bounded) while a client socket still has more than a page queued; the next send decides whether it is too far behind. */
  async #drain(ws: WebSocket): Promise<void> {
    const until = Date.now() + DRAIN_WAIT_MS;
    while (typeof ws.bufferedAmount === "number" && ws.bufferedAmount > DRAIN_LOW_WATER_BYTES && Date.now() < until) {
      if (this.#states.get(ws) === undefined) return;
      await sleep(DRAIN_POLL_MS);
    }
  }

  /** Sends one replay page; "more" when a client socket has further pages to get. */
  #replayPage(ws: WebSocket, state: SubscriberState, source: ReplaySource): "more" | "done" {
    for (;;) {
      const head = source.head;
      const page = source.read(state.cursor, head, PAGE_EVENTS, PAGE_BYTES);
      const frames = page.filter((e) => wants(state.filter, e));
      state.cursor = page.at(-1)?.sequence ?? state.cursor;
      const caughtUp = state.cursor >= head;
      if (caughtUp) {
        state.live = true;
        const snapshot = this.#reply.snapshot(state, source);
        if (snapshot) frames.push(snapshot);
      }
      this.#save(ws, state);
      if (state.mode === "client") {
        for (const envelope of frames) if (!this.#sendToClient(ws, JSON.stringify(envelope))) return "done";
        return caughtUp ? "done" : "more";
      }
      if (frames.length === 0 && !caughtUp) continue; // a page the filters emptied: nothing to wait for
      const text = frames.map((e) => eventFrame(e, JSON.stringify(e))).join("");
      if (caughtUp && state.feed) this.#send(ws, relayFrame(STREAM.joined, this.#feeds.joinedLine(state.feed, state.filter) + text));
      else this.#send(ws, relayFrame(caughtUp ? STREAM.live : STREAM.page, text));
      return "done";
    }
  }

  /** Sends, or lets the subscriber go: one that missed a message must resume from its last id, not go on with a gap. */
  #send(ws: WebSocket, message: string | Uint8Array): void {
    try {
      ws.send(message);
    } catch {
      this.#letGo(ws, CLOSE_CODES.sendFailed, "send failed");
    }
  }

  /**
   * Sends to a client socket unless it is too far behind: what it still has queued from earlier
   * sends is measured before this one (a large message just sent has had no chance to flush, so
   * measuring after it would close clients that read). A client let go resumes from the last id it read.
   */
  #sendToClient(ws: WebSocket, message: string): boolean {
    if (tooFarBehind(ws.bufferedAmount, this.#limits.maxBufferedBytes)) {
      this.#letGo(ws, CLOSE_CODES.slowConsumer, "slow_consumer");
      return false;
    }
    this.#send(ws, message);
    return this.#states.has(ws);
  }

  /** Closes a subscriber's socket and stops sending to it (its attachment is not read again: its close frees the slot). */
  #letGo(ws: WebSocket, code: number, reason: string): void {
    this.#states.delete(ws);
    try {
      ws.serializeAttachment(null);
      ws.close(code, reason);
    } catch {
      // already closed
    }
  }
}
