import { useState } from "hono/jsx/dom";
import type { ApiClient } from "../api/client";
import { type ApiProblem, toProblem } from "../api/problem";
import type { McpServer, McpTool } from "../api/types";
import { ErrorNotice } from "../ui/error-notice";
import { useChangeable } from "../ui/use-load";
import { field, formFields } from "./form-data";

/**
 * MCP servers, for admins: register one (its headers are write-only: sent, never shown), list a
 * server's tools live, remove one. Agents use a server as the capability `mcp:<id>`.
 */
export function McpServersPage({ api }: { api: ApiClient }) {
  const loaded = useChangeable(() => api.request<{ data: McpServer[] }>("GET", "/v1/mcp-servers").then((r) => r.data), [api]);
  const [tools, setTools] = useState<Record<string, McpTool[] | ApiProblem>>({});
  const { change } = loaded;

  const add = (event: Event) => {
    const form = formFields(event);
    const token = String(form.get("token") ?? "");
    const body = { name: field(form, "name"), url: field(form, "url"), headers: token ? { Authorization: `Bearer ${token}` } : null };
    void change(() => api.request("POST", "/v1/mcp-servers", body), event.currentTarget as HTMLFormElement);
  };

  const listTools = async (id: string) => {
    try {
      const res = await api.request<{ data: McpTool[] }>("GET", `/v1/mcp-servers/${id}/tools`);
      setTools((all) => ({ ...all, [id]: res.data }));
    } catch (err) {
      setTools((all) => ({ ...all, [id]: toProblem(err) }));
    }
  };

  return (
    <section aria-labelledby="mcp-heading">
      <h1 id="mcp-heading">MCP servers</h1>
      <p class="muted">
        Remote MCP servers (Streamable HTTP). An agent uses one as a capability; its tools reach the model as{" "}
        <code>mcp__&lt;name&gt;__&lt;tool&gt;</code>.
      </p>
      <ErrorNotice problem={loaded.problem} />
      {(loaded.data ?? []).map((s) => {
        const listed = tools[s.id];
        return (
          <article class="card" aria-labelledby={`mcp-${s.id}`} data-mcp-server={s.id}>
            <h2 id={`mcp-${s.id}`}>
              {s.name} <code class="muted small">{s.capability_id}</code>
            </h2>
            <p class="muted small">
              {s.url} · headers {s.headers_set ? "set" : "not set"}
            </p>
            <div class="actions">
              <button type="button" class="button-small" onClick={() => void listTools(s.id)}>
                List tools
              </button>
              <button
                type="button"
                class="button-small button-secondary"
                onClick={() => void change(() => api.request("DELETE", `/v1/mcp-servers/${s.id}`))}
              >
                Remove
              </button>
            </div>
            {Array.isArray(listed) && (
              <ul class="plain-list" aria-label={`Tools of ${s.name}`}>
                {listed.map((t) => (
                  <li>
                    <code>{t.name}</code> <span class="muted small">{t.description}</span>
                  </li>
                ))}
              </ul>
            )}
            {listed && !Array.isArray(listed) && <ErrorNotice problem={listed} title="Could not list the tools" />}
          </article>
        );
      })}
      <form class="card form" aria-labelledby="add-mcp-heading" onSubmit={add}>
        <h2 id="add-mcp-heading">Add an MCP server</h2>
        <label for="mcp-name">
          Name <span class="muted">(a-z, 0-9, _ and -)</span>
        </label>
        <input id="mcp-name" name="name" required pattern="[a-z0-9_\-]{1,32}" />
        <label for="mcp-url">URL</label>
        <input id="mcp-url" name="url" type="url" required placeholder="https://mcp.example.com/mcp" />
        <label for="mcp-token">
          Bearer token <span class="muted">(optional, write-only: stored encrypted, never shown again)</span>
        </label>
        <input id="mcp-token" name="token" type="password" autocomplete="new-password" spellcheck={false} />
        <button type="submit">Add server</button>
      </form>
    </section>
  );
}
