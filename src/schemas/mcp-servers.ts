import { z } from "@hono/zod-openapi";
import type { mcpServers } from "../db/schema";
import { ToolDefinitionSchema } from "./capabilities";
import { boundedString } from "./common";

/** Field limits of MCP servers. */
export const MCP_LIMITS = {
  urlBytes: 2048,
  headerCount: 32,
  headerNameBytes: 256,
  headerValueBytes: 8192,
  /** Servers per organization. */
  serversPerOrg: 50,
} as const;

const Name = z
  .string()
  .regex(/^[a-z0-9_-]{1,32}$/, "Must be 1-32 characters of a-z, 0-9, _ and -")
  .openapi({
    description: "A slug, unique in the organization; its tools reach the model as `mcp__<name>__<tool>`",
    example: "everything",
  });

const Url = boundedString(MCP_LIMITS.urlBytes)
  .pipe(z.url({ protocol: /^https?$/, message: "Must be an http or https URL" }))
  .refine((v) => {
    const url = URL.parse(v);
    return url === null || (url.username === "" && url.password === "");
  }, "Must not contain credentials; send them in headers")
  .openapi({
    description:
      "The server's Streamable HTTP endpoint. A public https URL, unless the server allows private ones (ALLOW_PRIVATE_MCP_URLS)",
    example: "https://mcp.example.com/mcp",
  });

/** Headers the MCP transport sets itself: a server's configured headers may not replace them. */
const RESERVED_HEADERS = new Set([
  "accept",
  "connection",
  "content-length",
  "content-type",
  "host",
  "last-event-id",
  "mcp-protocol-version",
  "mcp-session-id",
  "transfer-encoding",
]);

/** HTTP header names as RFC 9110 spells a token (none the transport sets itself); values without line breaks. */
const Headers = z
  .record(
    z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/, "Must be an HTTP header name"),
    boundedString(MCP_LIMITS.headerValueBytes).pipe(z.string().regex(/^[^\r\n\0]*$/, "Must not contain line breaks")),
  )
  .refine((h) => Object.keys(h).length <= MCP_LIMITS.headerCount, `At most ${MCP_LIMITS.headerCount} headers`)
  .refine(
    (h) => Object.keys(h).every((name) => !RESERVED_HEADERS.has(name.toLowerCase())),
    "Must not set a header the MCP transport sets itself (Accept, Content-Type, Mcp-Session-Id, Mcp-Protocol-Version, …)",
  )
  .openapi({
    description: "Write-only: sent with every request to the server, encrypted at rest, never returned",
    example: { Authorization: "Bearer …" },
  });

const Timestamp = z.string().openapi({ example: "2026-11-22T18:00:00.000Z" });

export const McpServerSchema = z
  .object({
    id: z.string().openapi({ example: "mcpsrv_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    name: z.string().openapi({ example: "everything" }),
    url: z.string().openapi({ example: "https://mcp.example.com/mcp" }),
    headers_set: z.boolean().openapi({ description: "Whether headers are stored (they are never returned)" }),
    capability_id: z
      .string()
      .openapi({ description: "The capability ref an agent uses for this server", example: "mcp:mcpsrv_0192f1a0c3b47c5e9d2f4a6b8c0d1e2f" }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("McpServer");

export const CreateMcpServerSchema = z.object({ name: Name, url: Url, headers: Headers.nullable().optional() }).openapi("CreateMcpServer");

export const UpdateMcpServerSchema = z
  .object({
    name: Name,
    url: Url,
    headers: Headers.nullable().openapi({ description: "New headers replace the stored ones; null removes them" }),
  })
  .partial()
  .openapi("UpdateMcpServer");

export const McpToolListSchema = z.object({ data: z.array(ToolDefinitionSchema) }).openapi("McpToolList");

export type McpServer = z.infer<typeof McpServerSchema>;
export type CreateMcpServerInput = z.infer<typeof CreateMcpServerSchema>;
export type UpdateMcpServerInput = z.infer<typeof UpdateMcpServerSchema>;
type McpServerRow = typeof mcpServers.$inferSelect;

/** The capability ref of a server. */
export function mcpCapabilityRef(id: string): string {
  return `mcp:${id}`;
}

/** The one mapping from a stored server to the API object (the headers never leave). */
export function toMcpServer(row: McpServerRow): McpServer {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    headers_set: row.headersEncrypted !== null,
    capability_id: mcpCapabilityRef(row.id),
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
