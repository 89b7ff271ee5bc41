import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { apiKeys } from "../src/db/schema";
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from "../src/lib/access-token";
import { parseFrames } from "./support/ag-ui";
import { startOwnMcpServer } from "./support/mcp";
import { type Caller, callAs } from "./support/requests";
import { createAgent, createMcpServer, createSession, sendMessage } from "./support/resources";
import { openSocket, SocketReader } from "./support/socket-reader";
import { openStream, SseReader } from "./support/sse-reader";
import { newTenant } from "./support/tenants";

/** The documented bound (docs/AUTH.md): a stream ends within this long of its credential losing access. */
const BOUND_MS = 10_000;
/** The documented WebSocket close code meaning "authenticate again". */
const REAUTHENTICATE = 4401;

async function newKey(caller: Caller): Promise<{ id: string; key: string; headers: Record<string, string> }> {
  const res = await callAs(caller, "/v1/auth/api-keys", { method: "POST", json: { name: "stream key" } });
  expect(res.status).toBe(201);
  const { id, key } = (await res.json()) as { id: string; key: string };
  return { id, key, headers: { authorization: key } };
}

/** Reads a WebSocket until the server closes it, failing on any event it receives after `since`. */
async function socketEnds(socket: SocketReader, timeoutMs: number, since: () => number): Promise<{ code: number; late: string[] }> {
  const late: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await socket.nextText(Math.max(1, deadline - Date.now()));
    if (text === null) return { code: socket.closed?.code ?? 0, late };
    const envelope = JSON.parse(text) as { ts: string };
    if (Date.parse(envelope.ts) >= since()) late.push(text);
  }
}

/** Reads an SSE stream until the server ends it; returns the last `disconnecting` data and the events stored after `since`. */
async function sseEnds(reader: SseReader, timeoutMs: number, since: () => number): Promise<{ disconnecting: unknown; late: string[] }> {
  const late: string[] = [];
  let disconnecting: unknown = null;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = await reader.next(Math.max(1, deadline - Date.now()));
    if (frame === null) return { disconnecting, late };
    if (frame.kind !== "event" || frame.event === "connected") continue;
    if (frame.event === "disconnecting") disconnecting = JSON.parse(frame.data);
    else if (Date.parse((JSON.parse(frame.data) as { ts: string }).ts) >= since()) late.push(frame.data);
  }
}

describe("open streams and the credential that opened them", () => {
  it("closes a revoked API key's WebSocket (4401) and SSE stream (disconnecting reauthenticate) within the bound, and delivers nothing posted after", async () => {
    const owner = await newTenant();
    const key = await newKey(owner);
    const agent = await createAgent(owner);
    const session = await createSession(owner, agent.id);
    const socket = new SocketReader(await openSocket(key, session.id));
    const sse = new SseReader(await openStream(key, session.id));
    await sse.expectOpening();

    const revoke = await callAs(owner, `/v1/auth/api-keys/${key.id}`, { method: "DELETE" });
    expect(revoke.status).toBe(204);
    const revokedAt = Date.now();
    // Posts keep coming after the revocation, until both streams have ended (a post after that
    // reaches no reader): none stored after the bound may reach the key's streams.
    const afterBound = () => revokedAt + BOUND_MS;
    let streamsEnded = false;
    const posting = (async () => {
      for (let i = 0; i < 8 && !streamsEnded; i += 1) {
        await sendMessage(owner, session.id, `after revoke ${i}`);
        await new Promise((r) => setTimeout(r, 1500));
      }
    })();
    const [ws, stream] = await Promise.all([socketEnds(socket, BOUND_MS + 2000, afterBound), sseEnds(sse, BOUND_MS + 2000, afterBound)]);
    const endedAfter = Date.now() - revokedAt;
    streamsEnded = true;
    await posting;
    expect(ws.code).toBe(REAUTHENTICATE);
    expect(stream.disconnecting).toMatchObject({ reason: "reauthenticate" });
    expect(endedAfter).toBeLessThan(BOUND_MS);
    expect(ws.late).toEqual([]);
    expect(stream.late).toEqual([]);
  });

  it("closes the streams of a member removed from the org, and he cannot open another", async () => {
    const owner = await newTenant();
    const member = await newTenant();
    const add = await callAs(owner, `/v1/orgs/${owner.orgId}/members`, { method: "POST", json: { email: member.email, role: "member" } });
    expect(add.status).toBe(201);
    const agent = await createAgent(owner);
    const session = await createSession(owner, agent.id);
    const asMember = { headers: { ...member.headers, "x-org-id": owner.orgId } };
    const socket = new SocketReader(await openSocket(asMember, session.id));
    const sse = new SseReader(await openStream(asMember, session.id));
    await sse.expectOpening();

    const removed = await callAs(owner, `/v1/orgs/${owner.orgId}/members/${member.userId}`, { method: "DELETE" });
    expect(removed.status).toBe(204);
    const started = Date.now();
    const [ws, stream] = await Promise.all([
      socketEnds(socket, BOUND_MS + 2000, () => Number.POSITIVE_INFINITY),
      sseEnds(sse, BOUND_MS + 2000, () => Number.POSITIVE_INFINITY),
    ]);
    expect(ws.code).toBe(REAUTHENTICATE);
    expect(stream.disconnecting).toMatchObject({ reason: "reauthenticate" });
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    const again = await openSocket(asMember, session.id);
    expect(again.status).toBe(404);
    await again.body?.cancel();
  });

  it("closes the streams of a key revoked by another isolate (its cache here still holds the key) within the bound", async () => {
    const owner = await newTenant();
    const key = await newKey(owner);
    const agent = await createAgent(owner);
    const session = await createSession(owner, agent.id);
    const socket = new SocketReader(await openSocket(key, session.id));
    // Written straight to D1, as another isolate's revoke would be: this isolate's cache is not cleared.
    await createDb(env.DB).update(apiKeys).set({ revokedAt: new Date().toISOString() }).where(eq(apiKeys.id, key.id));
    const started = Date.now();
    const ws = await socketEnds(socket, BOUND_MS + 2000, () => Number.POSITIVE_INFINITY);
    expect(ws.code).toBe(REAUTHENTICATE);
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
  });

  it("closes the streams of an access token when it expires", async () => {
    const owner = await newTenant();
    const agent = await createAgent(owner);
    const session = await createSession(owner, agent.id);
    // A token issued long enough ago that it has two seconds left.
    const issued = Date.now() - (ACCESS_TOKEN_TTL_SECONDS - 2) * 1000;
    const token = await signAccessToken(env.JWT_SECRET ?? "", owner.userId, issued);
    const caller = { headers: { authorization: `Bearer ${token}` } };
    const socket = new SocketReader(await openSocket(caller, session.id));
    const sse = new SseReader(await openStream(caller, session.id));
    await sse.expectOpening();
    const started = Date.now();
    const [ws, stream] = await Promise.all([
      socketEnds(socket, BOUND_MS + 4000, () => Number.POSITIVE_INFINITY),
      sseEnds(sse, BOUND_MS + 4000, () => Number.POSITIVE_INFINITY),
    ]);
    expect(ws.code).toBe(REAUTHENTICATE);
    expect(stream.disconnecting).toMatchObject({ reason: "reauthenticate" });
    expect(Date.now() - started).toBeLessThan(BOUND_MS + 2000);
  }, 30_000);
  it("ends a revoked key's AI SDK chat stream and AG-UI run within the bound, saying to authenticate again", async () => {
    const owner = await newTenant();
    const key = await newKey(owner);
    const own = await startOwnMcpServer();
    const server = await createMcpServer(owner, { url: own.url });
    const agent = await createAgent(owner, { capabilities: [`mcp:${server.id}`] });
    const session = await createSession(owner, agent.id);
    // Three turns of about 3.5 s each, one after the other: the key's two streams wait for the later two.
    const slow = 'call mcp__everything__trigger-long-running-operation {"duration": 3.5, "steps": 1}';
    await sendMessage(owner, session.id, slow);
    const chat = await callAs(key, "/v1/chat", {
      method: "POST",
      json: { id: session.id, messages: [{ id: "u1", role: "user", parts: [{ type: "text", text: slow }] }], trigger: "submit-message" },
    });
    const run = await callAs(key, `/v1/sessions/${session.id}/ag-ui`, {
      method: "POST",
      json: { threadId: session.id, runId: "r1", messages: [{ id: "m1", role: "user", content: slow }] },
    });
    expect([chat.status, run.status]).toEqual([200, 200]);
    const bodies = Promise.all([chat.text(), run.text()]);
    expect((await callAs(owner, `/v1/auth/api-keys/${key.id}`, { method: "DELETE" })).status).toBe(204);
    const revokedAt = Date.now();
    const [chatText, runText] = await bodies;
    expect(Date.now() - revokedAt).toBeLessThan(BOUND_MS);

    const chunks = parseFrames(chatText.replace("data: [DONE]", ""));
    expect(chunks.find((c) => c["type"] === "error")?.["errorText"]).toMatch(/authenticate again/);
    expect(chatText.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(parseFrames(runText).at(-1)).toMatchObject({
      type: "RUN_ERROR",
      code: "reauthenticate",
      message: expect.stringMatching(/authenticate again/),
    });
    await own.stop();
  });
});
