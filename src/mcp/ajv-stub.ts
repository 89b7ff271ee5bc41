/**
 * Stands in for `ajv` and `ajv-formats` in the Worker bundle (wrangler.toml `[alias]`). The MCP
 * SDK's client imports its Ajv validator as a default it only builds when no validator is given;
 * src/mcp/client.ts always gives the cfworker one (Ajv compiles schemas with `new Function`,
 * which workerd forbids), so this is never run. It saves the bundle Ajv's weight.
 */
export default class AjvNotBundled {
  constructor() {
    throw new Error("ajv is not bundled in the Worker: pass the MCP client a jsonSchemaValidator");
  }
}
