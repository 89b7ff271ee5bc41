/**
 * A real webhook receiver for tests: a Node HTTP server on 127.0.0.1 that checks every delivery
 * with the `standardwebhooks` package's `Webhook.verify`, exactly as a user's receiver would, and
 * records what it got. Tests talk to it over HTTP:
 *
 *   POST /__secrets?name=<n>       body: JSON array of `whsec_…` secrets the endpoint `n` knows
 *   GET  /__deliveries?name=<n>    what `n` received, oldest first (RecordedDelivery[])
 *   POST /hooks/<n>[?fail=<k>][&hang=1]
 *        a delivery: verified against each secret of `n` (401 when none verifies); with `fail=k`
 *        the first k deliveries of each webhook-id get a 500; with `hang=1` it never answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import type { RecordedDelivery } from "../support/recorded-delivery";

export interface FakeWebhookReceiver {
  port: number;
  close(): Promise<void>;
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(",") : (value ?? "");
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Starts the receiver on 127.0.0.1 and a free port. */
export async function startWebhookReceiver(): Promise<FakeWebhookReceiver> {
  const secrets = new Map<string, string[]>();
  const received = new Map<string, RecordedDelivery[]>();
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://receiver");
    const name = url.searchParams.get("name") ?? "";
    if (url.pathname === "/__secrets" && req.method === "POST") {
      secrets.set(name, JSON.parse(await readBody(req)) as string[]);
      return sendJson(res, 204, null);
    }
    if (url.pathname === "/__deliveries" && req.method === "GET") return sendJson(res, 200, received.get(name) ?? []);
    const hook = /^\/hooks\/([a-z0-9_-]+)$/.exec(url.pathname);
    if (!hook || req.method !== "POST") return sendJson(res, 404, { error: "no such path" });

    const endpoint = hook[1] ?? "";
    const body = await readBody(req);
    const headers = {
      "webhook-id": header(req, "webhook-id"),
      "webhook-timestamp": header(req, "webhook-timestamp"),
      "webhook-signature": header(req, "webhook-signature"),
    };
    const verified = (secrets.get(endpoint) ?? []).map((secret) => {
      try {
        new Webhook(secret).verify(body, headers);
        return true;
      } catch {
        return false;
      }
    });
    const log = received.get(endpoint) ?? [];
    received.set(endpoint, log);
    const record: RecordedDelivery = { headers, body, verified, status: 0, received_at: Date.now() };
    log.push(record);

    if (url.searchParams.get("hang") === "1") {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      return;
    }
    const failFirst = Number(url.searchParams.get("fail") ?? "0");
    const seen = log.filter((d) => d.headers["webhook-id"] === headers["webhook-id"]).length;
    record.status = !verified.some(Boolean) ? 401 : seen <= failFirst ? 500 : 204;
    res.writeHead(record.status);
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () => {
      for (const res of hanging) res.destroy();
      return closeServer(server);
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
