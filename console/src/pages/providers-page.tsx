import type { ApiClient } from "../api/client";
import type { LlmModel, LlmProvider } from "../api/types";
import { ErrorNotice } from "../ui/error-notice";
import { type Changeable, useChangeable } from "../ui/use-load";
import { field, formFields } from "./form-data";

/**
 * Providers and models, for admins: add an OpenAI-compatible or Anthropic provider (its key is
 * write-only: sent, never shown), add models to it, and choose the organization's default model.
 */
export function ProvidersPage({ api }: { api: ApiClient }) {
  const loaded = useChangeable(async () => {
    const [providers, models] = await Promise.all([
      api.request<{ data: LlmProvider[] }>("GET", "/v1/llm-providers").then((r) => r.data),
      api.request<{ data: LlmModel[] }>("GET", "/v1/llm-models").then((r) => r.data),
    ]);
    return { providers, models };
  }, [api]);

  const { change } = loaded;

  const addProvider = (event: Event) => {
    const form = formFields(event);
    const baseUrl = field(form, "base_url");
    const apiKey = String(form.get("api_key") ?? "");
    const body = {
      name: field(form, "name"),
      provider_type: field(form, "provider_type"),
      base_url: baseUrl || null,
      api_key: apiKey || null,
    };
    void change(() => api.request("POST", "/v1/llm-providers", body), event.currentTarget as HTMLFormElement);
  };

  const providers = loaded.data?.providers ?? [];
  const models = loaded.data?.models ?? [];
  const defaultModel = models.find((m) => m.is_default);

  return (
    <section aria-labelledby="providers-heading">
      <h1 id="providers-heading">Providers and models</h1>
      <p class="muted">
        Default model:{" "}
        <strong>
          {defaultModel
            ? `${defaultModel.display_name ?? defaultModel.model_id} (${defaultModel.provider.name})`
            : "none (turns use the built-in llmsim)"}
        </strong>
      </p>
      <ErrorNotice problem={loaded.problem} />
      {providers.map((p) => (
        <ProviderCard api={api} provider={p} models={models.filter((m) => m.provider_id === p.id)} change={change} />
      ))}
      <form class="card form" aria-labelledby="add-provider-heading" onSubmit={addProvider}>
        <h2 id="add-provider-heading">Add a provider</h2>
        <label for="provider-name">Name</label>
        <input id="provider-name" name="name" required />
        <label for="provider-type">Type</label>
        <select id="provider-type" name="provider_type">
          <option value="openai">OpenAI-compatible (OpenAI, vLLM, Ollama, OpenRouter, …)</option>
          <option value="anthropic">Anthropic</option>
        </select>
        <label for="provider-url">
          Base URL <span class="muted">(optional: empty uses the vendor's public endpoint)</span>
        </label>
        <input id="provider-url" name="base_url" type="url" placeholder="https://api.openai.com/v1" />
        <label for="provider-key">
          API key <span class="muted">(write-only: stored encrypted, never shown again)</span>
        </label>
        <input id="provider-key" name="api_key" type="password" autocomplete="new-password" spellcheck={false} />
        <button type="submit">Add provider</button>
      </form>
    </section>
  );
}

interface CardProps {
  api: ApiClient;
  provider: LlmProvider;
  models: LlmModel[];
  change: Changeable<unknown>["change"];
}

function ProviderCard({ api, provider: p, models, change }: CardProps) {
  const addModel = (event: Event) => {
    const form = formFields(event);
    const body = { model_id: field(form, "model_id"), display_name: field(form, "display_name") || null };
    void change(() => api.request("POST", `/v1/llm-providers/${p.id}/models`, body), event.currentTarget as HTMLFormElement);
  };
  const replaceKey = (event: Event) => {
    const apiKey = String(formFields(event).get("api_key") ?? "");
    if (apiKey)
      void change(() => api.request("PATCH", `/v1/llm-providers/${p.id}`, { api_key: apiKey }), event.currentTarget as HTMLFormElement);
  };
  return (
    <article class="card" aria-labelledby={`provider-${p.id}`}>
      <h2 id={`provider-${p.id}`}>
        {p.name} <span class="badge">{p.provider_type}</span> {p.status === "disabled" && <span class="badge">disabled</span>}
      </h2>
      <p class="muted small">
        {p.base_url ?? "public endpoint"} · key {p.api_key_set ? "set" : "not set"}
      </p>
      <ul class="plain-list">
        {models.map((m) => (
          <li class="row">
            <span class="grow">
              {m.display_name ?? m.model_id} <code class="muted">{m.model_id}</code>
            </span>
            {m.is_default ? (
              <span class="badge">default</span>
            ) : (
              <button
                type="button"
                class="button-small"
                onClick={() => void change(() => api.request("PATCH", `/v1/llm-models/${m.id}`, { is_default: true }))}
              >
                Make default
              </button>
            )}
          </li>
        ))}
      </ul>
      <form class="inline-form" onSubmit={addModel} aria-label={`Add a model to ${p.name}`}>
        <label for={`model-id-${p.id}`}>Model name</label>
        <input id={`model-id-${p.id}`} name="model_id" required placeholder="gpt-4o-mini" />
        <label for={`model-display-${p.id}`}>Display name</label>
        <input id={`model-display-${p.id}`} name="display_name" />
        <button type="submit">Add model</button>
      </form>
      <form class="inline-form" onSubmit={replaceKey} aria-label={`Replace the API key of ${p.name}`}>
        <label for={`key-${p.id}`}>New API key</label>
        <input id={`key-${p.id}`} name="api_key" type="password" autocomplete="new-password" required />
        <button type="submit" class="button-secondary">
          Replace key
        </button>
      </form>
    </article>
  );
}
