/// <reference path="./llm/provided-context.d.ts" />
import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { startFakeLlmServer } from "./fakes/llm-server";
import { startMcpHost } from "./fakes/mcp-everything";
import { startFakeWebServer } from "./fakes/web-server";
import { startWebhookReceiver } from "./fakes/webhook-receiver";

/**
 * Copies Swagger UI's assets and builds the console into public/ before the Worker starts, as
 * `wrangler dev` and `deploy` do, and starts the fake LLM server (tests read its port with
 * `inject("fakeLlmPort")`), the real MCP everything server with its control server
 * (`inject("mcpEverythingPort")`, `inject("mcpHostPort")`; test/fakes/mcp-everything.ts) and the
 * webhook receiver (`inject("webhookReceiverPort")`; test/fakes/webhook-receiver.ts).
 * Also the fake web server web_fetch reads (`inject("fakeWebPort")`; test/fakes/web-server.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync(process.execPath, ["scripts/copy-assets.mjs"], { stdio: "inherit" });
  execFileSync(process.execPath, ["scripts/build-console.mjs"], { stdio: "inherit" });
  const fakeLlm = await startFakeLlmServer();
  const fakeWeb = await startFakeWebServer();
  project.provide("fakeLlmPort", fakeLlm.port);
  project.provide("fakeWebPort", fakeWeb.port);
  const mcp = await startMcpHost();
  project.provide("mcpEverythingPort", mcp.sharedPort);
  project.provide("mcpHostPort", mcp.controlPort);
  const receiver = await startWebhookReceiver();
  project.provide("webhookReceiverPort", receiver.port);
  return async () => {
    await Promise.all([fakeLlm.close(), fakeWeb.close(), mcp.close(), receiver.close()]);
  };
}
