import { useState } from "hono/jsx/dom";
import type { ApiClient } from "../api/client";
import { type ApiProblem, toProblem } from "../api/problem";
import type { Agent, Capability, LlmModel } from "../api/types";
import { ErrorNotice } from "../ui/error-notice";
import { navigate } from "../ui/router";
import { useLoad } from "../ui/use-load";
import { field, formFields } from "./form-data";

interface AgentFormInputs {
  agent: Agent | null;
  capabilities: Capability[];
  models: LlmModel[];
}

/** Create an agent, or edit one: name, system prompt, capabilities (with their descriptions), default model. */
export function AgentFormPage({ api, agentId }: { api: ApiClient; agentId: string | null }) {
  const loaded = useLoad<AgentFormInputs>(async () => {
    const [agent, capabilities, models] = await Promise.all([
      agentId ? api.request<Agent>("GET", `/v1/agents/${agentId}`) : Promise.resolve(null),
      api.request<{ data: Capability[] }>("GET", "/v1/capabilities").then((r) => r.data),
      api.request<{ data: LlmModel[] }>("GET", "/v1/llm-models").then((r) => r.data),
    ]);
    return { agent, capabilities, models };
  }, [api, agentId]);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (event: Event) => {
    const form = formFields(event);
    const configured = new Map((loaded.data?.agent?.capabilities ?? []).map((c) => [c.ref, c]));
    const description = field(form, "description");
    const gated = new Set(form.getAll("approval").map(String));
    const body = {
      name: field(form, "name"),
      description: description === "" ? null : description,
      system_prompt: String(form.get("system_prompt") ?? ""),
      // A capability kept on an edit keeps its config; a new one starts with none. The switch sets
      // or clears `require_approval` (every tool of the capability waits for a person).
      capabilities: form.getAll("capabilities").map((value) => {
        const id = String(value);
        const { require_approval: _gate, ...config } = configured.get(id)?.config ?? {};
        return { ref: id, config: gated.has(id) ? { ...config, require_approval: true } : config };
      }),
      default_model_id: field(form, "default_model_id") || null,
    };
    setBusy(true);
    setProblem(null);
    try {
      const saved = agentId
        ? await api.request<Agent>("PATCH", `/v1/agents/${agentId}`, body)
        : await api.request<Agent>("POST", "/v1/agents", body);
      navigate(`/agents/${saved.id}`);
    } catch (err) {
      setProblem(toProblem(err));
      setBusy(false);
    }
  };

  const heading = agentId ? "Edit agent" : "New agent";
  if (loaded.problem) return <ErrorNotice problem={loaded.problem} title={`Could not open the ${agentId ? "agent" : "form"}`} />;
  if (!loaded.data) return <p aria-live="polite">Loading…</p>;
  const { agent, capabilities, models } = loaded.data;
  const enabled = new Set(agent?.capabilities.map((c) => c.ref) ?? []);
  const gatedNow = new Set(
    agent?.capabilities.filter((c) => c.config.require_approval !== undefined && c.config.require_approval !== false).map((c) => c.ref) ??
      [],
  );

  return (
    <section aria-labelledby="agent-form-heading">
      <h1 id="agent-form-heading">{heading}</h1>
      <form class="card form" onSubmit={(e: Event) => void save(e)}>
        <label for="agent-name">Name</label>
        <input id="agent-name" name="name" required value={agent?.name ?? ""} />
        <label for="agent-description">
          Description <span class="muted">(optional)</span>
        </label>
        <input id="agent-description" name="description" value={agent?.description ?? ""} />
        <label for="agent-prompt">System prompt</label>
        <textarea id="agent-prompt" name="system_prompt" rows={6} required value={agent?.system_prompt ?? "You are a helpful assistant."} />
        <fieldset>
          <legend>Capabilities</legend>
          {capabilities.map((c) => (
            <div class="check">
              <input
                type="checkbox"
                id={`cap-${c.id}`}
                name="capabilities"
                value={c.id}
                checked={enabled.has(c.id)}
                aria-describedby={`cap-${c.id}-desc`}
              />
              <label for={`cap-${c.id}`}>
                {c.name} <code class="muted">{c.id}</code>
              </label>
              <p id={`cap-${c.id}-desc`} class="muted small">
                {c.description}
                {c.status === "unavailable" && " (unavailable right now: its tools could not be listed)"}
              </p>
              <div class="check check-nested">
                <input type="checkbox" id={`approval-${c.id}`} name="approval" value={c.id} checked={gatedNow.has(c.id)} />
                <label for={`approval-${c.id}`}>requires approval</label>
              </div>
            </div>
          ))}
        </fieldset>
        <label for="agent-model">Default model</label>
        <select id="agent-model" name="default_model_id">
          <option value="" selected={!agent?.default_model_id}>
            The organization's default (the built-in llmsim when none is set)
          </option>
          {models.map((m) => (
            <option value={m.id} selected={agent?.default_model_id === m.id}>
              {m.display_name ?? m.model_id} ({m.provider.name})
            </option>
          ))}
        </select>
        <ErrorNotice problem={problem} title="Could not save the agent" />
        <div class="actions">
          <button type="submit" disabled={busy}>
            {agentId ? "Save" : "Create agent"}
          </button>
          <a class="button button-secondary" href={agentId ? `#/agents/${agentId}` : "#/agents"}>
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}
