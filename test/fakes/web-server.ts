/**
 * A plain HTTP server on 127.0.0.1 for web_fetch in tests: `GET /fill/<bytes>?text=<s>` answers
 * `text/plain` of exactly `<bytes>` bytes, `<s>` (default `"\`) repeated, sent in 64 KiB chunks.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeWebServer {
  port: number;
  close(): Promise<void>;
}

const CHUNK = 64 * 1024;

export async function startFakeWebServer(): Promise<FakeWebServer> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const match = /^\/fill\/(\d+)$/.exec(url.pathname);
    if (req.method !== "GET" || !match) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    const size = Number(match[1]);
    const unit = Buffer.from(url.searchParams.get("text") ?? '"\\', "utf8");
    const block = Buffer.alloc(CHUNK);
    for (let i = 0; i < CHUNK; i += 1) block[i] = unit[i % unit.length] ?? 0;
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": String(size) });
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const n = Math.min(CHUNK, size - sent);
        sent += n;
        if (!res.write(n === CHUNK ? block : block.subarray(0, n))) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
