import type { Organization } from "../api/types";

/** Shown once after sign-in when the user belongs to several organizations. */
export function OrgPicker({ orgs, onPick }: { orgs: Organization[]; onPick: (id: string) => void }) {
  return (
    <section aria-labelledby="org-heading">
      <h1 id="org-heading">Choose an organization</h1>
      <p class="muted">
        You belong to several. Requests act in the one you choose (the X-Org-Id header); switch at any time from the top bar.
      </p>
      <ul class="plain-list">
        {orgs.map((o) => (
          <li>
            <button type="button" class="button-secondary" onClick={() => onPick(o.id)}>
              {o.name} <span class="muted">({o.role})</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
