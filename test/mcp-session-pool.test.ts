import { describe, expect, it } from "vitest";
import { callToolOn, McpFailure, readToolList } from "../src/mcp/client";
import { MCP_SESSION_IDLE_MS, McpSessionPool } from "../src/mcp/session-pool";
import { type OwnMcpServer, startOwnMcpServer } from "./support/mcp";

const options = { timeoutMs: 10_000 };

/** A pool on a clock the test moves, and an echo through it on `own` as server "srv" at `version`. */
function poolWithClock() {
  const clock = { now: 1_000_000 };
  const pool = new McpSessionPool(() => clock.now);
  const echo = (own: OwnMcpServer, message: string, version = "v1") =>
    pool.run("srv", version, { url: own.url, headers: {} }, options, (client, signal) =>
      callToolOn(client, "echo", { message }, signal, options.timeoutMs),
    );
  return { clock, pool, echo };
}

async function deletesOf(own: OwnMcpServer, count: number) {
  for (let i = 0; i < 50; i += 1) {
    const deletes = (await own.requests()).filter((r) => r.http === "DELETE");
    if (deletes.length >= count) return deletes;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return (await own.requests()).filter((r) => r.http === "DELETE");
}

const methods = async (own: OwnMcpServer, method: string) => (await own.requests()).filter((r) => r.method === method);

describe("McpSessionPool (in workerd, against server-everything)", () => {
  it("runs a pool's operations on one MCP session, and answers calls at the same time on it", async () => {
    const own = await startOwnMcpServer();
    const { pool, echo } = poolWithClock();
    const tools = await pool.run("srv", "v1", { url: own.url, headers: {} }, options, (client, signal) =>
      readToolList(client, signal, options.timeoutMs),
    );
    expect(tools.map((t) => t.name)).toContain("echo");
    const answers = await Promise.all([echo(own, "a"), echo(own, "b"), echo(own, "c")]);
    expect(answers.map((a) => a.text)).toEqual(["Echo: a", "Echo: b", "Echo: c"]);
    expect(await methods(own, "initialize")).toHaveLength(1);
    expect(new Set((await methods(own, "tools/call")).map((r) => r.headers["mcp-session-id"])).size).toBe(1);
    expect(pool.size).toBe(1);
    await own.stop();
  });

  it("ends a session unused for MCP_SESSION_IDLE_MS (DELETE) and opens a new one", async () => {
    const own = await startOwnMcpServer();
    const { clock, echo } = poolWithClock();
    await echo(own, "first");
    clock.now += MCP_SESSION_IDLE_MS - 1;
    await echo(own, "still kept");
    expect(await methods(own, "initialize")).toHaveLength(1);
    clock.now += MCP_SESSION_IDLE_MS + 1;
    await echo(own, "after idle");
    expect(await methods(own, "initialize")).toHaveLength(2);
    const [first] = await methods(own, "tools/call");
    expect((await deletesOf(own, 1)).map((r) => r.headers["mcp-session-id"])).toEqual([first?.headers["mcp-session-id"]]);
    await own.stop();
  });

  it("opens a new session for a new version of the server and ends the old one", async () => {
    const own = await startOwnMcpServer();
    const { echo } = poolWithClock();
    await echo(own, "v1", "v1");
    await echo(own, "v2", "v2");
    expect(await methods(own, "initialize")).toHaveLength(2);
    expect(await deletesOf(own, 1)).toHaveLength(1);
    await own.stop();
  });

  it("keeps at most 16 servers' sessions: the least recently used idle one is ended for a 17th", async () => {
    const own = await startOwnMcpServer();
    const { clock, pool } = poolWithClock();
    const echoAs = (serverId: string) =>
      pool.run(serverId, "v1", { url: own.url, headers: {} }, options, (client, signal) =>
        callToolOn(client, "echo", { message: serverId }, signal, options.timeoutMs),
      );
    for (let i = 0; i < 16; i += 1) {
      clock.now += 1;
      await echoAs(`srv${i}`);
    }
    expect(pool.size).toBe(16);
    expect((await own.requests()).filter((r) => r.http === "DELETE")).toEqual([]);
    clock.now += 1;
    await echoAs("srv16");
    expect(pool.size).toBe(16);
    // srv0 was the least recently used (its call came first): its session is the one ended.
    const firstSession = (await methods(own, "tools/call"))[0]?.headers["mcp-session-id"];
    expect((await deletesOf(own, 1)).map((r) => r.headers["mcp-session-id"])).toEqual([firstSession]);
    // srv1 is still kept: its next call opens nothing.
    const before = (await methods(own, "initialize")).length;
    await echoAs("srv1");
    expect(await methods(own, "initialize")).toHaveLength(before);
    await own.stop();
  });

  it("ends the session after a failed operation (a timeout); the next operation opens a new one", async () => {
    const own = await startOwnMcpServer();
    const { pool, echo } = poolWithClock();
    await echo(own, "warm");
    const slow = pool.run("srv", "v1", { url: own.url, headers: {} }, { timeoutMs: 500 }, (client, signal) =>
      callToolOn(client, "trigger-long-running-operation", { duration: 3, steps: 3 }, signal, 500),
    );
    await expect(slow).rejects.toMatchObject({ name: "McpFailure", code: "mcp_timeout" });
    expect(pool.size).toBe(0);
    await echo(own, "after");
    expect(await methods(own, "initialize")).toHaveLength(2);
    await own.stop();
  });

  it("reports the server of a kept session that went away as mcp_unavailable, and keeps nothing", async () => {
    const own = await startOwnMcpServer();
    const { pool, echo } = poolWithClock();
    await echo(own, "warm");
    await own.stop();
    const failed = await echo(own, "down").catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(McpFailure);
    expect(failed).toMatchObject({ code: "mcp_unavailable" });
    expect(pool.size).toBe(0);
  });

  it("sends no notifications/cancelled once an operation is answered, when its signal or deadline ends later", async () => {
    const own = await startOwnMcpServer();
    const { pool } = poolWithClock();
    const controller = new AbortController();
    const quick = { timeoutMs: 300, signal: controller.signal };
    for (const message of ["one", "two"]) {
      const answer = await pool.run("srv", "v1", { url: own.url, headers: {} }, quick, (client, signal) =>
        callToolOn(client, "echo", { message }, signal, quick.timeoutMs),
      );
      expect(answer.text).toBe(`Echo: ${message}`);
    }
    controller.abort(new Error("the turn ended"));
    await new Promise((resolve) => setTimeout(resolve, 500)); // past the 300 ms deadlines
    expect(await methods(own, "notifications/cancelled")).toEqual([]);
    expect(pool.size).toBe(1);
    await own.stop();
  });

  it("keeps nothing for a server that gives no MCP session id: each operation initializes, none sends DELETE", async () => {
    const own = await startOwnMcpServer({ stateless: true });
    const { pool, echo } = poolWithClock();
    expect((await echo(own, "one")).text).toBe("Echo: one");
    expect(pool.size).toBe(0);
    expect((await echo(own, "two")).text).toBe("Echo: two");
    expect(pool.size).toBe(0);
    const seen = await own.requests();
    expect(seen.filter((r) => r.method === "initialize")).toHaveLength(2);
    expect(seen.filter((r) => r.method === "tools/call")).toHaveLength(2);
    expect(seen.filter((r) => r.headers["mcp-session-id"] !== undefined)).toEqual([]);
    expect(seen.filter((r) => r.http === "DELETE")).toEqual([]);
    await own.stop();
  });

  it("hands the caller's abort back as its reason, not as an MCP failure", async () => {
    const own = await startOwnMcpServer();
    const { pool, echo } = poolWithClock();
    await echo(own, "warm");
    const controller = new AbortController();
    const call = pool.run("srv", "v1", { url: own.url, headers: {} }, { timeoutMs: 10_000, signal: controller.signal }, (client, signal) =>
      callToolOn(client, "trigger-long-running-operation", { duration: 3, steps: 3 }, signal, 10_000),
    );
    setTimeout(() => controller.abort(new Error("turn cancelled")), 100);
    await expect(call).rejects.toThrow("turn cancelled");
    await own.stop();
  });
});
