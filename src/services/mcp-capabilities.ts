import type { EncryptionEnv } from "../lib/encryption";
import { ApiError } from "../lib/errors";
import { mcpToolName } from "../mcp/tool-names";
import type { McpUrlEnv } from "../mcp/url-policy";
import type { CapabilityView } from "../schemas/capabilities";
import { mcpCapabilityRef } from "../schemas/mcp-servers";
import { liveMcpTools, type McpServerRow } from "./mcp-servers";

/** How long `GET /v1/capabilities` waits for each server's tools (in parallel) before showing it unavailable. */
const CAPABILITY_LIST_TIMEOUT_MS = 5_000;

/** An MCP server as a capability: its tools (as the model sees their names), or `unavailable` when they could not be listed. */
async function asCapability(env: EncryptionEnv & McpUrlEnv, row: McpServerRow): Promise<CapabilityView> {
  let tools: CapabilityView["tool_definitions"] = [];
  let status: CapabilityView["status"] = "available";
  try {
    tools = (await liveMcpTools(env, row, CAPABILITY_LIST_TIMEOUT_MS)).map((t) => ({ ...t, name: mcpToolName(row.name, t.name) }));
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== "mcp_unavailable") throw err;
    status = "unavailable";
  }
  return {
    id: mcpCapabilityRef(row.id),
    name: row.name,
    description: `Tools of the MCP server ${row.name} (${new URL(row.url).host})`,
    status,
    category: "mcp",
    system_prompt: null,
    tool_definitions: tools,
  };
}

/** One MCP server as a capability, its tools listed live. */
export async function mcpCapability(env: EncryptionEnv & McpUrlEnv, row: McpServerRow): Promise<CapabilityView> {
  return asCapability(env, row);
}
