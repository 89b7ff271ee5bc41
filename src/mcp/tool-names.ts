/** What providers accept as a tool name (OpenAI's rule, the strictest of them). */
const PROVIDER_TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The name a server's tool reaches the model under: `mcp__<server name>__<tool name>`. */
export function mcpToolName(serverName: string, toolName: string): string {
  return `mcp__${serverName}__${toolName}`;
}

/** Whether a provider accepts the name (an MCP tool whose full name does not pass is left out of a turn). */
export function isOfferableToolName(name: string): boolean {
  return PROVIDER_TOOL_NAME.test(name);
}
