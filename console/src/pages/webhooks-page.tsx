import { useState } from "hono/jsx/dom";
import type { ApiClient } from "../api/client";
import type { Page, Webhook, WebhookDelivery, WebhookEventType, WebhookWithSecret } from "../api/types";
import { ErrorNotice } from "../ui/error-notice";
import { formatMs, formatWhen } from "../ui/format";
import { type Changeable, useChangeable, useLoad } from "../ui/use-load";
import { describeAttempt, groupDeliveries } from "../webhooks/delivery-groups";
import { field, formFields } from "./form-data";

const EVENT_TYPES: { type: WebhookEventType; what: string }[] = [
  { type: "session.idle", what: "a session settled" },
  { type: "session.action_required", what: "a turn waits for client tool results or an approval" },
  { type: "turn.failed", what: "a turn failed" },
  { type: "session.deleted", what: "a session was deleted" },
];

/** A secret just created or rotated: shown once, here, until dismissed. */
interface ShownSecret {
  url: string;
  secret: string;
}

/**
 * Webhook endpoints, for admins: register one (the signing secret is shown once), see each
 * endpoint's recent deliveries grouped by message, send a test event, rotate the secret,
 * disable or enable, remove.
 */
export function WebhooksPage({ api }: { api: ApiClient }) {
  const loaded = useChangeable(() => api.request<{ data: Webhook[] }>("GET", "/v1/webhooks").then((r) => r.data), [api]);
  const [shown, setShown] = useState<ShownSecret | null>(null);
  const { change } = loaded;

  const addEndpoint = (event: Event) => {
    const form = formFields(event);
    const body = {
      url: field(form, "url"),
      description: field(form, "description") || null,
      event_types: form.getAll("event_types").map(String),
    };
    void change(async () => {
      const created = await api.request<WebhookWithSecret>("POST", "/v1/webhooks", body);
      setShown({ url: created.url, secret: created.secret });
    }, event.currentTarget as HTMLFormElement);
  };

  const webhooks = loaded.data ?? [];
  return (
    <section aria-labelledby="webhooks-heading">
      <h1 id="webhooks-heading">Webhooks</h1>
      <p class="muted">
        Signed Standard Webhooks for session transitions. Receivers verify each delivery with the endpoint's secret; a failed delivery is
        retried for about a day with the same <code>webhook-id</code>.
      </p>
      <ErrorNotice problem={loaded.problem} />
      {shown && (
        <div class="card" role="status" aria-labelledby="secret-heading">
          <h2 id="secret-heading">Signing secret for {shown.url}</h2>
          <p>Copy it now: it is not shown again (rotate it to get a new one).</p>
          <code class="secret" data-testid="webhook-secret">
            {shown.secret}
          </code>
          <button type="button" class="button-secondary" onClick={() => setShown(null)}>
            Done
          </button>
        </div>
      )}
      {loaded.loading && webhooks.length === 0 && <p aria-live="polite">Loading…</p>}
      {webhooks.map((w) => (
        <WebhookCard api={api} webhook={w} change={change} onSecret={(secret) => setShown({ url: w.url, secret })} />
      ))}
      <form class="card form" aria-labelledby="add-webhook-heading" onSubmit={addEndpoint}>
        <h2 id="add-webhook-heading">Add an endpoint</h2>
        <label for="webhook-url">URL</label>
        <input id="webhook-url" name="url" type="url" required placeholder="https://example.com/hooks/everruns" />
        <label for="webhook-description">
          Description <span class="muted">(optional)</span>
        </label>
        <input id="webhook-description" name="description" />
        <fieldset>
          <legend>Events</legend>
          {EVENT_TYPES.map(({ type, what }) => (
            <label class="row">
              <input type="checkbox" name="event_types" value={type} checked />
              <span>
                <code>{type}</code> <span class="muted">{what}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <button type="submit">Add endpoint</button>
      </form>
    </section>
  );
}

interface CardProps {
  api: ApiClient;
  webhook: Webhook;
  change: Changeable<unknown>["change"];
  onSecret: (secret: string) => void;
}

function WebhookCard({ api, webhook: w, change, onSecret }: CardProps) {
  const log = useLoad(() => api.request<Page<WebhookDelivery>>("GET", `/v1/webhooks/${w.id}/deliveries?limit=50`), [api, w.id]);
  const [note, setNote] = useState<string | null>(null);

  const sendTest = () =>
    void change(async () => {
      const sent = await api.request<{ message_id: string }>("POST", `/v1/webhooks/${w.id}/test`);
      setNote(`Test event ${sent.message_id} queued; refresh the deliveries to see its attempt.`);
    });
  const rotate = () =>
    void change(async () => {
      const rotated = await api.request<WebhookWithSecret>("POST", `/v1/webhooks/${w.id}/rotate-secret`);
      onSecret(rotated.secret);
    });
  const setStatus = (status: Webhook["status"]) => void change(() => api.request("PATCH", `/v1/webhooks/${w.id}`, { status }));
  const remove = () => void change(() => api.request("DELETE", `/v1/webhooks/${w.id}`));

  const groups = groupDeliveries(log.data?.data ?? []);
  return (
    <article class="card" aria-labelledby={`webhook-${w.id}`}>
      <h2 id={`webhook-${w.id}`}>
        <code>{w.url}</code> <span class="badge">{w.status}</span>
      </h2>
      {w.description && <p>{w.description}</p>}
      <p class="muted small">
        {w.event_types.join(", ")}
        {w.previous_secret_expires_at && ` · the previous secret also signs until ${formatWhen(w.previous_secret_expires_at)}`}
      </p>
      {w.disabled_reason && <p role="note">Disabled: {w.disabled_reason}</p>}
      <div class="row">
        <button type="button" onClick={sendTest}>
          Send test event
        </button>
        <button type="button" class="button-secondary" onClick={() => log.reload()}>
          Refresh deliveries
        </button>
        <button type="button" class="button-secondary" onClick={rotate}>
          Rotate secret
        </button>
        {w.status === "enabled" ? (
          <button type="button" class="button-secondary" onClick={() => setStatus("disabled")}>
            Disable
          </button>
        ) : (
          <button type="button" class="button-secondary" onClick={() => setStatus("enabled")}>
            Enable
          </button>
        )}
        <button type="button" class="button-secondary" onClick={remove}>
          Remove
        </button>
      </div>
      {note && (
        <p class="muted small" aria-live="polite">
          {note}
        </p>
      )}
      <ErrorNotice problem={log.problem} title="Could not load the deliveries" />
      <h3>
        Recent deliveries{" "}
        {log.data && (
          <span class="muted small">
            ({log.data.total} attempt{log.data.total === 1 ? "" : "s"} in 7 days)
          </span>
        )}
      </h3>
      {groups.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <ul class="plain-list" aria-label={`Deliveries to ${w.url}`}>
          {groups.map((g) => (
            <li class="delivery" data-outcome={g.outcome}>
              <span class="badge">{g.outcome.replace("_", " ")}</span> <code>{g.eventType}</code>{" "}
              <code class="muted small">{g.messageId}</code>{" "}
              <span class="muted small">
                {g.attempts} attempt{g.attempts === 1 ? "" : "s"} · last {formatWhen(g.last.created_at)}:{" "}
                {describeAttempt(g.last, formatMs)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}
