// A minimal WebSocket client over node:http, for holding 1,000 sockets in one process: Node's
// global WebSocket spent most of a core on 7,000 small messages here, which would measure the
// client instead of the server. It reads unmasked server frames (text, ping, close), answers
// pings and can close; it sends no data frames (the bench only listens).
import { randomBytes } from "node:crypto";
import http from "node:http";

const OP = { continuation: 0x0, text: 0x1, close: 0x8, ping: 0x9, pong: 0xa };

/** A masked client frame (RFC 6455 §5.3: every client frame is masked). Control frames only, so ≤ 125 bytes. */
function clientFrame(opcode, payload) {
  const mask = randomBytes(4);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i += 1) masked[i] ^= mask[i % 4];
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | masked.length]), mask, masked]);
}

/** Splits complete frames off `buffer`; returns the frames and what is left. */
function takeFrames(buffer) {
  const frames = [];
  let rest = buffer;
  for (;;) {
    if (rest.length < 2) break;
    let length = rest[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (rest.length < 4) break;
      length = rest.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (rest.length < 10) break;
      length = Number(rest.readBigUInt64BE(2));
      offset = 10;
    }
    if (rest.length < offset + length) break;
    frames.push({ fin: (rest[0] & 0x80) !== 0, opcode: rest[0] & 0x0f, payload: rest.subarray(offset, offset + length) });
    rest = rest.subarray(offset + length);
  }
  return { frames, rest };
}

/**
 * Opens a WebSocket to `url` (ws://); `onText(text, receivedAt)` gets each text message with the
 * wall-clock time its bytes arrived, `onEnd()` once the connection is gone. Resolves with a
 * close function once the server answered 101; rejects with the status of any other answer.
 */
export function openRawWs(url, { agent, headers = {}, onText, onEnd, now }) {
  return new Promise((resolve, reject) => {
    const req = http.request(url.replace(/^ws/, "http"), {
      agent,
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": randomBytes(16).toString("base64"),
        ...headers,
      },
    });
    req.on("response", (res) => {
      res.resume();
      reject(new Error(`WebSocket ${url} answered ${res.statusCode}`));
    });
    req.on("error", reject);
    req.on("upgrade", (_res, socket, head) => {
      let buffer = head;
      let fragments = [];
      const read = (chunk) => {
        const at = now();
        const { frames, rest } = takeFrames(buffer.length > 0 ? Buffer.concat([buffer, chunk]) : chunk);
        buffer = rest;
        for (const { fin, opcode, payload } of frames) {
          if (opcode === OP.text || opcode === OP.continuation) {
            fragments.push(payload);
            if (fin) {
              onText(Buffer.concat(fragments).toString("utf8"), at);
              fragments = [];
            }
          } else if (opcode === OP.ping) socket.write(clientFrame(OP.pong, payload));
          else if (opcode === OP.close) socket.end(clientFrame(OP.close, payload.subarray(0, 2)));
        }
      };
      socket.on("data", read);
      socket.on("close", onEnd);
      socket.on("error", () => socket.destroy());
      if (head.length > 0) {
        buffer = Buffer.alloc(0);
        read(head);
      }
      resolve(() => {
        if (!socket.destroyed) socket.end(clientFrame(OP.close, Buffer.from([0x03, 0xe8])));
        setTimeout(() => socket.destroy(), 1000).unref();
      });
    });
    req.end();
  });
}
