// A webhook receiver in one file, to watch deliveries arrive (docs/WEBHOOKS.md):
//
//   WEBHOOK_SECRET=whsec_… node examples/webhook-receiver.mjs [port]
//
// Listens on 127.0.0.1 (port 8788 unless given), verifies every delivery with the
// `standardwebhooks` package (several secrets, space-separated, while a rotation runs), prints
// the event, and answers 204; a delivery that does not verify is answered 401 and printed as
// refused. A real receiver would also remember the webhook-ids it has handled, since a delivery
// can come more than once, and fetch what it needs through the API.
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const port = Number(process.argv[2] ?? 8788);
const secrets = (process.env.WEBHOOK_SECRET ?? "").split(/\s+/).filter(Boolean);
if (secrets.length === 0) {
  console.error("Set WEBHOOK_SECRET to the endpoint's whsec_… secret (POST /v1/webhooks shows it once).");
  process.exit(1);
}
const verifiers = secrets.map((secret) => new Webhook(secret));
const seen = new Set();

/** The delivery's payload if one of the secrets verifies it (signature and a timestamp within 5 minutes), else null. */
function verified(body, headers) {
  for (const verifier of verifiers) {
    try {
      return verifier.verify(body, headers);
    } catch {
      // Try the next secret.
    }
  }
  return null;
}

const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks).toString("utf8");
  const headers = {
    "webhook-id": req.headers["webhook-id"] ?? "",
    "webhook-timestamp": req.headers["webhook-timestamp"] ?? "",
    "webhook-signature": req.headers["webhook-signature"] ?? "",
  };
  const event = verified(body, headers);
  const time = new Date().toISOString();
  if (event === null) {
    console.log(`${time} REFUSED ${headers["webhook-id"] || "(no webhook-id)"}: the signature does not verify`);
    res.writeHead(401).end();
    return;
  }
  const again = seen.has(headers["webhook-id"]) ? " (again)" : "";
  seen.add(headers["webhook-id"]);
  console.log(`${time} ${event.type}${again} ${headers["webhook-id"]} ${JSON.stringify(event.data)}`);
  res.writeHead(204).end();
});

server.listen(port, "127.0.0.1", () =>
  console.log(`Receiving webhooks on http://127.0.0.1:${port}/ (${secrets.length} secret${secrets.length === 1 ? "" : "s"})`),
);
