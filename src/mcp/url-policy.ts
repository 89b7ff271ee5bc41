import { outboundUrlRefusal } from "../lib/public-url";

/** The Worker var that lets MCP server URLs reach private networks (docs/MCP.md). */
export interface McpUrlEnv {
  /** Exactly `true` allows private, loopback and link-local addresses and plain http; anything else, or unset, does not. */
  ALLOW_PRIVATE_MCP_URLS?: string | undefined;
}

/** Whether MCP server URLs may be private or plain http: for a server on the developer's machine. Off unless exactly `true`. */
export function privateMcpUrlsAllowed(env: McpUrlEnv): boolean {
  return env.ALLOW_PRIVATE_MCP_URLS === "true";
}

const HINT = "set ALLOW_PRIVATE_MCP_URLS=true to use an MCP server on a private network";

/**
 * Why an MCP server may not be called at `raw`, or null when it may: web_fetch's public-address
 * policy (https, no credentials in the URL, no private, loopback or link-local host); any port,
 * since MCP servers often listen on one. With private URLs allowed, any http(s) URL without
 * credentials. Checked when a server is registered or changed, and again before each call.
 */
export function mcpUrlRefusal(raw: string, allowPrivate: boolean): string | null {
  return outboundUrlRefusal(raw, allowPrivate, HINT, "Must not contain credentials; send them in headers");
}
