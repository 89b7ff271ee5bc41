import type { ApiClient } from "../api/client";
import type { Agent, Page } from "../api/types";
import { ErrorNotice } from "../ui/error-notice";
import { formatWhen } from "../ui/format";
import { useChangeable } from "../ui/use-load";

/** The organization's active agents; archive one from here (DELETE /v1/agents/{id}). */
export function AgentsPage({ api }: { api: ApiClient }) {
  const agents = useChangeable(() => api.request<Page<Agent>>("GET", "/v1/agents?limit=100"), [api]);

  const archive = async (agent: Agent) => {
    if (!confirm(`Archive "${agent.name}"? Its sessions stay readable; it leaves this list.`)) return;
    await agents.change(() => api.request("DELETE", `/v1/agents/${agent.id}`));
  };

  return (
    <section aria-labelledby="agents-heading">
      <div class="page-head">
        <h1 id="agents-heading">Agents</h1>
        <a class="button" href="#/agents/new">
          New agent
        </a>
      </div>
      <ErrorNotice problem={agents.problem} />
      {agents.loading && !agents.data && <p aria-live="polite">Loading agents…</p>}
      {agents.data?.data.length === 0 && <p class="muted">No agents yet. Create one to start a session.</p>}
      <ul class="plain-list agent-list">
        {agents.data?.data.map((agent) => (
          <li class="card row">
            <div class="grow">
              <a class="agent-name" href={`#/agents/${agent.id}`}>
                {agent.name}
              </a>
              <p class="muted small">
                {agent.capabilities.length > 0 ? agent.capabilities.map((c) => c.ref).join(", ") : "no capabilities"} · updated{" "}
                {formatWhen(agent.updated_at)}
              </p>
            </div>
            <a class="button button-secondary" href={`#/agents/${agent.id}/edit`} aria-label={`Edit ${agent.name}`}>
              Edit
            </a>
            <button type="button" class="button-danger" onClick={() => void archive(agent)} aria-label={`Archive ${agent.name}`}>
              Archive
            </button>
          </li>
        ))}
      </ul>
      {agents.data && agents.data.total > agents.data.data.length && (
        <p class="muted small">
          Showing the first {agents.data.data.length} of {agents.data.total} agents.
        </p>
      )}
    </section>
  );
}
