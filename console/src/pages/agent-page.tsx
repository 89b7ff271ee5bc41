import { useState } from "hono/jsx/dom";
import type { ApiClient } from "../api/client";
import { type ApiProblem, toProblem } from "../api/problem";
import type { Agent, Page, Session } from "../api/types";
import { ErrorNotice } from "../ui/error-notice";
import { formatWhen } from "../ui/format";
import { navigate } from "../ui/router";
import { useLoad } from "../ui/use-load";
import { field, formFields } from "./form-data";

const PAGE_SIZE = 10;

/** One agent: what it is, its sessions page by page, and a form to open a new session. */
export function AgentPage({ api, agentId }: { api: ApiClient; agentId: string }) {
  const agent = useLoad(() => api.request<Agent>("GET", `/v1/agents/${agentId}`), [api, agentId]);
  const [offset, setOffset] = useState(0);
  const sessions = useLoad(
    () => api.request<Page<Session>>("GET", `/v1/agents/${agentId}/sessions?offset=${offset}&limit=${PAGE_SIZE}`),
    [api, agentId, offset],
  );
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  const create = async (event: Event) => {
    const title = field(formFields(event), "title");
    setProblem(null);
    try {
      const session = await api.request<Session>("POST", `/v1/agents/${agentId}/sessions`, title ? { title } : {});
      navigate(`/sessions/${session.id}`);
    } catch (err) {
      setProblem(toProblem(err));
    }
  };

  if (agent.problem) return <ErrorNotice problem={agent.problem} title="Could not open the agent" />;
  if (!agent.data) return <p aria-live="polite">Loading…</p>;
  const a = agent.data;
  const page = sessions.data;

  return (
    <section aria-labelledby="agent-heading">
      <p>
        <a href="#/agents">← Agents</a>
      </p>
      <div class="page-head">
        <h1 id="agent-heading">
          {a.name}
          {a.status === "archived" && <span class="badge">archived</span>}
        </h1>
        <a class="button button-secondary" href={`#/agents/${a.id}/edit`}>
          Edit agent
        </a>
      </div>
      {a.description && <p>{a.description}</p>}
      <p class="muted small">Capabilities: {a.capabilities.length > 0 ? a.capabilities.map((c) => c.ref).join(", ") : "none"}</p>

      <h2>Sessions</h2>
      {a.status === "active" && (
        <form class="inline-form" onSubmit={(e: Event) => void create(e)}>
          <label for="session-title">
            Title <span class="muted">(optional)</span>
          </label>
          <input id="session-title" name="title" />
          <button type="submit">New session</button>
        </form>
      )}
      <ErrorNotice problem={problem ?? sessions.problem} />
      {page && page.total === 0 && <p class="muted">No sessions yet.</p>}
      <ul class="plain-list">
        {page?.data.map((s) => (
          <li class="card row">
            <a class="grow" href={`#/sessions/${s.id}`}>
              {s.title ?? "Untitled session"}
            </a>
            <span class={`badge status-${s.status}`}>{s.status}</span>
            <span class="muted small">{formatWhen(s.created_at)}</span>
          </li>
        ))}
      </ul>
      {page && page.total > PAGE_SIZE && (
        <nav class="pager" aria-label="Sessions pages">
          <button type="button" class="button-secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
            Newer
          </button>
          <span class="muted small" aria-live="polite">
            {page.offset + 1}–{page.offset + page.data.length} of {page.total}
          </span>
          <button
            type="button"
            class="button-secondary"
            disabled={offset + PAGE_SIZE >= page.total}
            onClick={() => setOffset(offset + PAGE_SIZE)}
          >
            Older
          </button>
        </nav>
      )}
    </section>
  );
}
