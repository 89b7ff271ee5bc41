import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { listCapabilities, toolsFor } from "../src/capabilities/registry";
import { type Tool, ToolError } from "../src/capabilities/types";
import { refusalReason } from "../src/lib/public-url";
import { CapabilitySchema } from "../src/schemas/capabilities";
import { type EnabledTool, runToolCall } from "../src/session/tools";
import { captureConsole, jsonLines } from "./support/console";
import { isEnd } from "./support/events";
import { fakeModel, lastRequest, scenarioBase } from "./support/models";
import { problem } from "./support/problems";
import { call, callAs } from "./support/requests";
import { createAgent, createSession, sendMessage } from "./support/resources";
import { openStream, SseReader } from "./support/sse-reader";
import { newTenant } from "./support/tenants";
import { builtinTool } from "./support/tools";

const neverAborted = new AbortController().signal;
function run(name: string, args: Record<string, unknown>, options: { fetch?: typeof fetch; config?: Record<string, unknown> } = {}) {
  return builtinTool(name).execute(args, {
    signal: neverAborted,
    config: options.config ?? {},
    fetch: options.fetch ?? (() => Promise.reject(new Error("no network in this test"))),
  });
}

describe("capability routes", () => {
  it("lists every built-in capability with its tool definitions", async () => {
    const t = await newTenant();
    const res = await callAs(t, "/v1/capabilities");
    expect(res.status).toBe(200);
    const { data } = z.object({ data: z.array(CapabilitySchema) }).parse(await res.json());
    expect(data.map((c) => c.id)).toEqual(["noop", "current_time", "test_math", "test_weather", "web_fetch"]);
    const math = data.find((c) => c.id === "test_math");
    expect(math?.tool_definitions.map((d) => d.name)).toEqual(["add", "subtract", "multiply", "divide"]);
    expect(math?.tool_definitions[0]?.parameters).toMatchObject({ type: "object", required: ["a", "b"] });
    expect(data.find((c) => c.id === "noop")).toMatchObject({ system_prompt: null, tool_definitions: [] });
  });

  it("gets one capability, 404s an unknown one and 401s without credentials", async () => {
    const t = await newTenant();
    const one = await callAs(t, "/v1/capabilities/web_fetch");
    expect(one.status).toBe(200);
    expect(CapabilitySchema.parse(await one.json())).toMatchObject({ id: "web_fetch", category: "web", status: "available" });
    const missing = await callAs(t, "/v1/capabilities/teleport");
    expect(missing.status).toBe(404);
    expect((await problem(missing)).code).toBe("capability_not_found");
    const anonymous = await call("/v1/capabilities");
    expect(anonymous.status).toBe(401);
  });

  it("has unique tool names across the registry", () => {
    const names = listCapabilities().flatMap((c) => c.tools.map((t) => t.name));
    expect(new Set(names).size).toBe(names.length);
  });

  it("gives a turn the tools and prompt additions of the agent's capabilities, in order", () => {
    const { tools, systemPrompts } = toolsFor([
      { ref: "test_weather", config: {} },
      { ref: "noop", config: {} },
      { ref: "web_fetch", config: { max_bytes: 10 } },
      { ref: "removed_since", config: {} },
    ]);
    expect(tools.map((t) => t.tool.name)).toEqual(["get_weather", "web_fetch"]);
    expect(tools[1]?.config).toEqual({ max_bytes: 10 });
    expect(systemPrompts).toHaveLength(2);
  });
});

describe("tools", () => {
  it("does arithmetic and refuses division by zero and non-numbers", async () => {
    expect(await run("add", { a: 2, b: 3 })).toEqual({ result: 5 });
    expect(await run("subtract", { a: 2, b: 3 })).toEqual({ result: -1 });
    expect(await run("multiply", { a: 2.5, b: 4 })).toEqual({ result: 10 });
    expect(await run("divide", { a: 7, b: 2 })).toEqual({ result: 3.5 });
    await expect(run("divide", { a: 1, b: 0 })).rejects.toThrow("Division by zero");
    await expect(run("add", { a: "2", b: 3 })).rejects.toThrow("finite numbers");
  });

  it("tells the time in UTC or a named zone, and refuses unknown zones", async () => {
    const before = Date.now();
    const utc = (await run("get_current_time", {})) as { iso: string; timezone: string; unix_ms: number };
    expect(utc.timezone).toBe("UTC");
    expect(utc.unix_ms).toBeGreaterThanOrEqual(before);
    expect(new Date(utc.iso).getTime()).toBe(utc.unix_ms);
    expect(await run("get_current_time", { timezone: "Asia/Tokyo" })).toMatchObject({
      timezone: "Asia/Tokyo",
      local: expect.stringContaining("GMT+9"),
    });
    await expect(run("get_current_time", { timezone: "Mars/Olympus" })).rejects.toThrow("Unknown time zone");
  });

  it("reports the same fake weather for the same place, and refuses an empty place", async () => {
    const first = await run("get_weather", { location: "Paris" });
    expect(await run("get_weather", { location: " paris " })).toEqual({ ...(first as object), location: "paris" });
    expect(first).toMatchObject({ location: "Paris", simulated: true, temperature_c: expect.any(Number) });
    await expect(run("get_weather", { location: "  " })).rejects.toThrow("place name");
  });

  it("turns a tool error into an error result the model reads, and an unknown tool too", async () => {
    const tools = new Map(toolsFor([{ ref: "test_math", config: {} }]).tools.map((t) => [t.tool.name, t]));
    const failed = await runToolCall({ id: "c1", name: "divide", arguments: { a: 1, b: 0 } }, tools, neverAborted, fetch);
    expect(failed).toMatchObject({ status: "error", error: "Division by zero", internal: false });
    const unknown = await runToolCall({ id: "c2", name: "teleport", arguments: {} }, tools, neverAborted, fetch);
    expect(unknown).toMatchObject({ status: "error", error: "Unknown tool: teleport" });
  });

  /** A one-tool map around `execute`, for the runner's own behaviour. */
  function only(execute: Tool["execute"], timeoutMs = 1000): Map<string, EnabledTool> {
    return new Map([
      ["probe", { tool: { name: "probe", description: "probe", parameters: { type: "object" }, timeoutMs, execute }, config: {} }],
    ]);
  }

  it("marks an unexpected tool failure internal and logs it with the turn's fields, never the arguments", async () => {
    const lines = await captureConsole(async () => {
      const outcome = await runToolCall(
        { id: "c3", name: "probe", arguments: { secret: "do-not-log-me" } },
        only(async () => {
          throw new TypeError("boom inside the tool");
        }),
        neverAborted,
        fetch,
        { session_id: "session_x" },
      );
      expect(outcome).toMatchObject({ status: "error", error: "The tool failed unexpectedly", internal: true });
    });
    const logged = jsonLines(lines).find((l) => l.msg === "tool failed");
    expect(logged).toMatchObject({
      level: "error",
      session_id: "session_x",
      tool: "probe",
      tool_call_id: "c3",
      error: { name: "TypeError", message: "boom inside the tool" },
    });
    expect(lines.join("\n")).not.toContain("do-not-log-me");
  });

  it("turns a tool that outlives its timeout into an error result", async () => {
    const hang = only(() => new Promise(() => undefined), 30);
    expect(await runToolCall({ id: "c4", name: "probe", arguments: {} }, hang, neverAborted, fetch)).toMatchObject({
      status: "error",
      error: "Tool timed out after 30 ms",
      internal: false,
    });
  });

  it("does not start a tool once the turn is aborted, and rejects with the turn's reason", async () => {
    let started = 0;
    const tools = only(async () => {
      started += 1;
      return new Promise(() => undefined);
    });
    const reason = new Error("cancelled before the tool");
    await expect(runToolCall({ id: "c5", name: "probe", arguments: {} }, tools, AbortSignal.abort(reason), fetch)).rejects.toBe(reason);
    expect(started).toBe(0);
  });
});

describe("web_fetch", () => {
  const refused = [
    "http://example.com/",
    "ftp://example.com/",
    "https://user:pass@example.com/",
    "https://example.com:8443/",
    "https://localhost/",
    "https://api.localhost/",
    "https://printer.local/",
    "https://metadata.google.internal/",
    "https://intranet/",
    "https://127.0.0.1/",
    "https://127.1/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0.0.0.0/",
    "https://10.1.2.3/",
    "https://172.16.0.1/",
    "https://172.31.255.255/",
    "https://192.168.1.1/",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/",
    "https://224.0.0.1/",
    "https://255.255.255.255/",
    "https://[::1]/",
    "https://[::]/",
    "https://[fe80::1]/",
    "https://[fc00::1]/",
    "https://[fd12:3456::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:10.0.0.1]/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://[2002:7f00:1::]/",
    "https://[ff02::1]/",
    // IPv4-translated (::ffff:0:0:0/96), Teredo (2001::/32), NAT64 (64:ff9b::/96) with a private IPv4 inside.
    "https://[::ffff:0:127.0.0.1]/",
    "https://[::ffff:0:a00:1]/",
    "https://[2001::1]/",
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    "https://[64:ff9b::127.0.0.1]/",
    "https://[64:ff9b::10.0.0.1]/",
    "https://[64:ff9b::c0a8:101]/",
    "https://[64:ff9b:1::808:808]/",
    "https://[fec0::1]/",
    // Wildcard DNS services and names that spell a private address.
    "https://127.0.0.1.nip.io/",
    "https://nip.io/",
    "https://10-0-0-1.sslip.io/",
    "https://app.192.168.1.1.sslip.io/",
    "https://localtest.me/",
    "https://www.localtest.me/",
    "https://lvh.me/",
    "https://app.lvh.me/",
    "https://LOCALHOST./",
    "https://a.b.localhost/",
    "https://10.1.2.3.example.com/",
    "https://app-192-168-1-1.example.net/",
  ];
  for (const raw of refused) {
    it(`refuses ${raw}`, () => {
      expect(refusalReason(new URL(raw))).not.toBeNull();
    });
  }

  const allowed = [
    "https://example.com/page",
    "https://93.184.215.14/",
    "https://172.32.0.1/",
    "https://[2606:4700::1111]/",
    "https://[::ffff:8.8.8.8]/",
    "https://example.com:443/",
    "https://[::ffff:0:8.8.8.8]/",
    "https://[64:ff9b::8.8.8.8]/",
    "https://[2001:4860:4860::8888]/",
    "https://nip.io.example.com/",
    "https://notlvh.me/",
    "https://8.8.8.8.example.com/",
    "https://example.com/10-0-0-1",
  ];
  for (const raw of allowed) {
    it(`allows ${raw}`, () => {
      expect(refusalReason(new URL(raw))).toBeNull();
    });
  }

  it("never calls fetch for a refused URL", async () => {
    let calls = 0;
    const spy: typeof fetch = async () => {
      calls += 1;
      return new Response("secret");
    };
    await expect(run("web_fetch", { url: "https://169.254.169.254/" }, { fetch: spy })).rejects.toThrow("not a public one");
    await expect(run("web_fetch", { url: "not a url" }, { fetch: spy })).rejects.toThrow("Not a valid URL");
    expect(calls).toBe(0);
  });

  it("follows redirects manually, re-checking each hop, and stops after five", async () => {
    const seen: string[] = [];
    const redirectTo =
      (location: string): typeof fetch =>
      async (input, init) => {
        seen.push(String(input));
        expect(init?.redirect).toBe("manual");
        return new Response(null, { status: 302, headers: { location } });
      };
    await expect(run("web_fetch", { url: "https://example.com/a" }, { fetch: redirectTo("https://127.0.0.1/admin") })).rejects.toThrow(
      "Refused https://127.0.0.1",
    );
    expect(seen).toEqual(["https://example.com/a"]);
    await expect(run("web_fetch", { url: "https://example.com/loop" }, { fetch: redirectTo("/loop") })).rejects.toThrow(
      "More than 5 redirects",
    );

    const hops: typeof fetch = async (input) => {
      const url = new URL(String(input));
      if (url.pathname === "/start") return new Response(null, { status: 301, headers: { location: "https://www.example.com/end" } });
      return new Response("arrived", { headers: { "content-type": "text/plain; charset=utf-8" } });
    };
    expect(await run("web_fetch", { url: "https://example.com/start" }, { fetch: hops })).toEqual({
      url: "https://www.example.com/end",
      status: 200,
      content_type: "text/plain",
      content: "arrived",
      bytes: 7,
      truncated: false,
    });
  });

  it("stops reading at the byte limit and says it truncated, with max_bytes capped at 1 MiB", async () => {
    const big: typeof fetch = async () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            controller.enqueue(new TextEncoder().encode("x".repeat(64 * 1024)));
          },
        }),
        { headers: { "content-type": "text/html" } },
      );
    const small = (await run("web_fetch", { url: "https://example.com/" }, { fetch: big, config: { max_bytes: 100 } })) as {
      bytes: number;
      truncated: boolean;
      content: string;
    };
    expect(small).toMatchObject({ bytes: 100, truncated: true });
    expect(small.content).toBe("x".repeat(100));
    const byDefault = (await run("web_fetch", { url: "https://example.com/" }, { fetch: big })) as { bytes: number };
    expect(byDefault.bytes).toBe(256 * 1024);
    const capped = (await run("web_fetch", { url: "https://example.com/" }, { fetch: big, config: { max_bytes: 50 * 1024 * 1024 } })) as {
      bytes: number;
    };
    expect(capped.bytes).toBe(1024 * 1024);
  });

  it("refuses binary content types", async () => {
    const image: typeof fetch = async () => new Response(new Uint8Array([0x89, 0x50]), { headers: { "content-type": "image/png" } });
    await expect(run("web_fetch", { url: "https://example.com/cat.png" }, { fetch: image })).rejects.toThrow(
      "Unsupported content type image/png",
    );
  });

  it("answers a connection failure or a body that breaks off with an error the model reads", async () => {
    const refused: typeof fetch = () => Promise.reject(new TypeError("Network connection lost."));
    await expect(run("web_fetch", { url: "https://example.com/a" }, { fetch: refused })).rejects.toThrow(
      new ToolError("Could not fetch https://example.com: the connection failed"),
    );
    const broken: typeof fetch = async () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("partial"));
          },
          pull(controller) {
            controller.error(new TypeError("stream reset"));
          },
        }),
        { headers: { "content-type": "text/plain" } },
      );
    await expect(run("web_fetch", { url: "https://example.com/b" }, { fetch: broken })).rejects.toThrow(
      new ToolError("Could not fetch https://example.com: the response broke off"),
    );
    // Through the runner: an error result, not an internal failure that would end the turn.
    const tools = new Map(toolsFor([{ ref: "web_fetch", config: {} }]).tools.map((t) => [t.tool.name, t]));
    const outcome = await runToolCall(
      { id: "c1", name: "web_fetch", arguments: { url: "https://example.com/" } },
      tools,
      neverAborted,
      refused,
    );
    expect(outcome).toMatchObject({
      status: "error",
      error: "Could not fetch https://example.com: the connection failed",
      internal: false,
    });
  });

  it("passes the abort signal to fetch so the tool timeout and cancel stop it", async () => {
    const controller = new AbortController();
    const hang: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason), { once: true }));
    const pending = builtinTool("web_fetch").execute(
      { url: "https://example.com/slow" },
      { signal: controller.signal, config: {}, fetch: hang },
    );
    controller.abort(new Error("cancelled by the test"));
    await expect(pending).rejects.toThrow("cancelled by the test");
  });
});

describe("capabilities in turns", () => {
  it("lets llmsim call test_math and feeds the result back", async () => {
    const t = await newTenant();
    const agent = await createAgent(t, { capabilities: ["test_math"] });
    const session = await createSession(t, agent.id);
    const reader = new SseReader(await openStream(t, session.id));
    await sendMessage(t, session.id, "what is 6 * 7?");
    const events = await reader.collectUntil(isEnd);
    await reader.cancel();
    const result = events.find((e) => e.type === "tool.result");
    expect(result?.data).toMatchObject({ name: "multiply", status: "success", result: { result: 42 } });
  });

  it("sends the capability prompt additions and tool definitions to the provider", async () => {
    const t = await newTenant();
    const base = scenarioBase("openai", "text");
    const modelId = await fakeModel(t, "openai", base);
    const agent = await createAgent(t, {
      capabilities: ["current_time", "test_weather"],
      default_model_id: modelId,
      system_prompt: "You are terse.",
    });
    const session = await createSession(t, agent.id);
    const reader = new SseReader(await openStream(t, session.id));
    await sendMessage(t, session.id, "hi");
    await reader.collectUntil(isEnd);
    await reader.cancel();
    const { body } = await lastRequest(base);
    const messages = body.messages as Array<{ role: string; content: string }>;
    const tools = body.tools as Array<{ function: { name: string } }>;
    const system = messages.find((m) => m.role === "system")?.content ?? "";
    expect(system.startsWith("You are terse.")).toBe(true);
    expect(system).toContain("get_current_time");
    expect(system).toContain("get_weather");
    expect(tools.map((tool) => tool.function.name)).toEqual(["get_current_time", "get_weather"]);
  });
});
