import { type PropsWithChildren, useEffect, useMemo, useState } from "hono/jsx/dom";
import { ApiClient } from "./api/client";
import { loadSignIn, type SignIn, saveSignIn } from "./api/credentials";
import { dropAllKept } from "./api/kept";
import type { ApiProblem } from "./api/problem";
import type { Me, Organization } from "./api/types";
import { OrgPicker } from "./pages/org-picker";
import { SignInPage } from "./pages/sign-in-page";
import { Routes } from "./routes";
import { ErrorNotice } from "./ui/error-notice";
import { navigate } from "./ui/router";
import { useLoad } from "./ui/use-load";

/** The console: sign-in until there are credentials, then the organization, then the pages. */
export function App() {
  const [signIn, setSignIn] = useState<SignIn | null>(loadSignIn());
  const [notice, setNotice] = useState<ApiProblem | null>(null);

  const signOut = (reason: ApiProblem | null) => {
    dropAllKept();
    setNotice(reason);
    setSignIn(null);
  };

  if (!signIn) {
    return (
      <SignInPage
        notice={notice}
        onSignedIn={(s) => {
          saveSignIn(s);
          setNotice(null);
          setSignIn(s);
        }}
      />
    );
  }
  return <SignedIn signIn={signIn} onSignOut={signOut} />;
}

function SignedIn({ signIn, onSignOut }: { signIn: SignIn; onSignOut: (reason: ApiProblem | null) => void }) {
  // One client per sign-in; it signs the tab out when the API stops accepting its credentials.
  const api = useMemo(() => new ApiClient(signIn, (problem) => onSignOut(problem)), [signIn]);
  const [orgId, setOrgId] = useState(signIn.orgId);
  const orgs = useLoad(
    () =>
      signIn.credentials.kind === "password"
        ? api.request<{ data: Organization[] }>("GET", "/v1/orgs").then((r) => r.data)
        : Promise.resolve([]),
    [api],
  );
  const me = useLoad(() => api.request<Me>("GET", "/v1/auth/me"), [api, orgId]);

  const chooseOrg = (id: string) => {
    api.useOrg(id);
    setOrgId(id);
    navigate("/agents");
  };

  const signOut = async () => {
    await api.signOut();
    onSignOut(null);
  };

  useEffect(() => {
    // A user in exactly one organization acts in it without being asked.
    if (orgId === null && orgs.data?.length === 1 && orgs.data[0]) chooseOrg(orgs.data[0].id);
  }, [orgs.data]);

  if (orgs.problem)
    return (
      <Shell onSignOut={signOut}>
        <ErrorNotice problem={orgs.problem} title="Could not list your organizations" />
      </Shell>
    );
  if (orgs.loading)
    return (
      <Shell onSignOut={signOut}>
        <p aria-live="polite">Loading…</p>
      </Shell>
    );
  if (orgId === null && (orgs.data?.length ?? 0) > 1)
    return (
      <Shell onSignOut={signOut}>
        <OrgPicker orgs={orgs.data ?? []} onPick={chooseOrg} />
      </Shell>
    );

  const role = me.data?.role ?? null;
  return (
    <Shell onSignOut={signOut} me={me.data} orgs={orgs.data ?? []} onSwitchOrg={chooseOrg}>
      <ErrorNotice problem={me.problem} title="Could not load your account" />
      {me.data && <Routes api={api} isAdmin={role === "owner" || role === "admin"} />}
    </Shell>
  );
}

type ShellProps = PropsWithChildren<{
  onSignOut: () => void;
  me?: Me | null;
  orgs?: Organization[];
  onSwitchOrg?: (id: string) => void;
}>;

function Shell({ onSignOut, me, orgs = [], onSwitchOrg, children }: ShellProps) {
  const isAdmin = me?.role === "owner" || me?.role === "admin";
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="#/agents">
          Everruns console
        </a>
        <nav aria-label="Main">
          <a href="#/agents">Agents</a>
          {isAdmin && <a href="#/providers">Providers and models</a>}
          {isAdmin && <a href="#/mcp-servers">MCP servers</a>}
          {isAdmin && <a href="#/webhooks">Webhooks</a>}
        </nav>
        <div class="topbar-end">
          {orgs.length > 1 && onSwitchOrg ? (
            <label class="org-switch">
              <span>Organization</span>
              <select onChange={(e: Event) => onSwitchOrg((e.currentTarget as HTMLSelectElement).value)}>
                {orgs.map((o) => (
                  <option value={o.id} selected={o.id === me?.org?.id}>
                    {o.name}
                  </option>
                ))}
              </select>
            </label>
          ) : (
            me?.org && <span class="muted">{me.org.name}</span>
          )}
          {me && (
            <span class="muted small">
              {me.user.email} · {me.role}
            </span>
          )}
          <button type="button" class="button-secondary" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" class="content">
        {children}
      </main>
    </>
  );
}
