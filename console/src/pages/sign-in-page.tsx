import { useState } from "hono/jsx/dom";
import { ApiClient, login } from "../api/client";
import { DEV_API_KEY, DEV_EMAIL, DEV_PASSWORD, isLocalDev, type SignIn } from "../api/credentials";
import { type ApiProblem, toProblem } from "../api/problem";
import type { Me } from "../api/types";
import { ErrorNotice } from "../ui/error-notice";
import { field, formFields } from "./form-data";

/**
 * Sign in with email and password, or with an API key (checked with GET /v1/auth/me before it is
 * kept). On this machine the local dev credentials of `npm run dev` are offered.
 */
export function SignInPage({ onSignedIn, notice }: { onSignedIn: (signIn: SignIn) => void; notice: ApiProblem | null }) {
  const [problem, setProblem] = useState<ApiProblem | null>(notice);
  const [busy, setBusy] = useState(false);
  const local = isLocalDev();

  const attempt = async (work: () => Promise<SignIn>) => {
    setBusy(true);
    setProblem(null);
    try {
      onSignedIn(await work());
    } catch (err) {
      setProblem(toProblem(err));
      setBusy(false);
    }
  };

  const withPassword = (email: string, password: string) =>
    attempt(async () => ({ credentials: await login(email, password), orgId: null }));

  const withKey = (apiKey: string) =>
    attempt(async () => {
      const signIn: SignIn = { credentials: { kind: "api_key", apiKey }, orgId: null };
      // A throwaway client: a refused key must not sign anything out, only show the problem.
      await new ApiClient(signIn, () => {}).request<Me>("GET", "/v1/auth/me");
      return signIn;
    });

  return (
    <main class="sign-in" id="main">
      <h1>Everruns console</h1>
      <p class="muted">Sign in to try agents, watch turns live and see where the time went.</p>
      <ErrorNotice problem={problem} title="Could not sign in" />
      <div class="sign-in-forms">
        <form
          class="card"
          aria-labelledby="password-heading"
          onSubmit={(e: Event) => {
            const form = formFields(e);
            void withPassword(field(form, "email"), String(form.get("password") ?? ""));
          }}
        >
          <h2 id="password-heading">With email and password</h2>
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required />
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
          <button type="submit" disabled={busy}>
            Sign in
          </button>
          {local && (
            <button type="button" class="button-secondary" disabled={busy} onClick={() => void withPassword(DEV_EMAIL, DEV_PASSWORD)}>
              Sign in as the local dev user
            </button>
          )}
        </form>
        <form class="card" aria-labelledby="key-heading" onSubmit={(e: Event) => void withKey(field(formFields(e), "api_key"))}>
          <h2 id="key-heading">With an API key</h2>
          <label for="api-key">API key</label>
          <input id="api-key" name="api_key" type="password" autocomplete="off" spellcheck={false} placeholder="evr_…" required />
          <button type="submit" disabled={busy}>
            Use this key
          </button>
          {local && (
            <button type="button" class="button-secondary" disabled={busy} onClick={() => void withKey(DEV_API_KEY)}>
              Use the local dev key
            </button>
          )}
          {local && (
            <p class="muted small">
              The dev credentials are the public LOCAL-DEV-ONLY ones that <code>npm run dev</code> seeds.
            </p>
          )}
        </form>
      </div>
      <p class="muted small">Your credentials stay in this tab only (sessionStorage) and are removed when you sign out or close the tab.</p>
    </main>
  );
}
