// Values test/global-setup.ts hands to tests through vitest's provide/inject.
// Kept under test/ (not test/fakes/) so the Worker-side type-check sees it too.
export {};

declare module "vitest" {
  export interface ProvidedContext {
    /** Port of the fake LLM server on 127.0.0.1 (test/fakes/README.md). */
    fakeLlmPort: number;
    /** Port of a shared `@modelcontextprotocol/server-everything` instance on 127.0.0.1 (its endpoint is /mcp). */
    mcpEverythingPort: number;
    /** Port of the control server that starts, inspects and stops instances of it (test/fakes/mcp-everything.ts). */
    mcpHostPort: number;
    /** Port of the webhook receiver on 127.0.0.1 (test/fakes/webhook-receiver.ts). */
    webhookReceiverPort: number;
    /** Port of the fake web server on 127.0.0.1 that web_fetch reads in tests (test/fakes/web-server.ts). */
    fakeWebPort: number;
  }
}
