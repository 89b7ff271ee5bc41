/// <reference path="./llm/provided-context.d.ts" />
import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { startFakeLlmServer } from "./fakes/llm-server";

/**
 * Copies Swagger UI's assets and builds the console into public/ before the Worker starts, as
 * `wrangler dev` and `deploy` do, and starts the fake LLM server; tests read its port with `inject("fakeLlmPort")`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync(process.execPath, ["scripts/copy-assets.mjs"], { stdio: "inherit" });
  execFileSync(process.execPath, ["scripts/build-console.mjs"], { stdio: "inherit" });
  const fakeLlm = await startFakeLlmServer();
  project.provide("fakeLlmPort", fakeLlm.port);
  return () => fakeLlm.close();
}
