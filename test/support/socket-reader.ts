import type { EventEnvelope } from "../../src/session/rpc";
import { type Caller, callAs } from "./requests";

/** Opens `GET /v1/sessions/{id}/ws` as `caller` (an upgrade); the response is 101 with a socket, or an error. */
export function openSocket(caller: Caller, sessionId: string, query = "", headers: Record<string, string> = {}): Promise<Response> {
  return callAs(caller, `/v1/sessions/${sessionId}/ws${query}`, { headers: { upgrade: "websocket", ...headers } });
}

/** Reads a session's events from a client WebSocket: one envelope per text frame. */
export class SocketReader {
  readonly socket: WebSocket;
  readonly #messages: string[] = [];
  #waiting: (() => void) | undefined;
  #closed: { code: number; reason: string } | null = null;

  constructor(res: Response) {
    const socket = res.webSocket;
    if (res.status !== 101 || !socket) throw new Error(`expected a WebSocket upgrade, got ${res.status}`);
    this.socket = socket;
    socket.addEventListener("message", (event) => {
      this.#messages.push(typeof event.data === "string" ? event.data : "");
      this.#wake();
    });
    socket.addEventListener("close", (event) => {
      this.#closed = { code: event.code, reason: event.reason };
      this.#wake();
    });
    socket.accept();
  }

  /** How the server closed the socket, once it has. */
  get closed(): { code: number; reason: string } | null {
    return this.#closed;
  }

  /** The next text frame, or null once the socket is closed and drained. */
  async nextText(timeoutMs = 5000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.#messages.length === 0) {
      if (this.#closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no WebSocket frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.#messages.shift() ?? null;
  }

  /** Envelopes up to and including the first one `stop` accepts. */
  async collectUntil(stop: (e: EventEnvelope) => boolean, timeoutMs = 8000): Promise<EventEnvelope[]> {
    const out: EventEnvelope[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await this.nextText(Math.max(1, deadline - Date.now()));
      if (text === null) throw new Error(`socket closed after ${out.length} events before the expected one`);
      const envelope = JSON.parse(text) as EventEnvelope;
      out.push(envelope);
      if (stop(envelope)) return out;
    }
  }

  close(): void {
    try {
      this.socket.close(1000, "done");
    } catch {
      // already closed
    }
  }

  #wake(): void {
    const wake = this.#waiting;
    this.#waiting = undefined;
    wake?.();
  }
}
