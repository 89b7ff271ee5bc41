import { type Credentials, type SignIn, saveSignIn } from "./credentials";
import { type ApiProblem, problemFrom } from "./problem";
import type { AuthTokens } from "./types";

/** Refresh an access token this long before it expires, so a request never races its expiry. */
const REFRESH_MARGIN_MS = 60_000;

/** Tokens from login or refresh, as credentials (expiry measured on this clock). */
function credentialsFrom(tokens: AuthTokens, email: string): Credentials {
  return {
    kind: "password",
    email,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt: Date.now() + tokens.expires_in * 1000,
  };
}

async function postJson(path: string, body: unknown, headers: HeadersInit = {}): Promise<Response> {
  return fetch(path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

/** POST /v1/auth/login; throws the API's problem on failure. */
export async function login(email: string, password: string): Promise<Credentials> {
  const res = await postJson("/v1/auth/login", { email, password });
  if (!res.ok) throw await problemFrom(res);
  return credentialsFrom((await res.json()) as AuthTokens, email);
}

/**
 * Calls the API as the signed-in caller: adds Authorization and X-Org-Id, refreshes an access
 * token that is about to expire (or came back `token_expired`) once, single-flight, and turns every
 * failure into an ApiProblem. When the credentials stop working it calls `onSignedOut`.
 */
export class ApiClient {
  #signIn: SignIn;
  #refreshing: Promise<void> | null = null;
  /** Set at sign-out: a refresh still in flight must not keep its new tokens. */
  #closed = false;
  readonly #onSignedOut: (reason: ApiProblem) => void;

  constructor(signIn: SignIn, onSignedOut: (reason: ApiProblem) => void) {
    this.#signIn = signIn;
    this.#onSignedOut = onSignedOut;
  }

  get signIn(): SignIn {
    return this.#signIn;
  }

  /** Acts in another organization from the next request on. */
  useOrg(orgId: string | null): void {
    this.#signIn = { ...this.#signIn, orgId };
    if (!this.#closed) saveSignIn(this.#signIn);
  }

  /** A JSON call; resolves to the parsed body (undefined for 204). */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { "content-type": "application/json" };
    }
    const res = await this.fetch(path, init);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  /** A raw call (the event stream reads the body itself); non-2xx answers are thrown as ApiProblem. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    await this.#refreshIfDue();
    let res = await fetch(path, { ...init, headers: this.#headers(init.headers) });
    if (res.status === 401 && this.#signIn.credentials.kind === "password") {
      const problem = await problemFrom(res);
      if (problem.code !== "token_expired") throw this.#signedOut(problem);
      await this.#refresh();
      res = await fetch(path, { ...init, headers: this.#headers(init.headers) });
    }
    if (res.ok) return res;
    const problem = await problemFrom(res);
    throw res.status === 401 ? this.#signedOut(problem) : problem;
  }

  /** Revokes the refresh token (best effort: signing out locally must work offline too). */
  async signOut(): Promise<void> {
    this.#closed = true;
    const { credentials } = this.#signIn;
    if (credentials.kind !== "password") return;
    try {
      const res = await postJson(
        "/v1/auth/logout",
        { refresh_token: credentials.refreshToken },
        { authorization: `Bearer ${credentials.accessToken}` },
      );
      await res.body?.cancel();
    } catch {
      // offline: the token expires on its own
    }
  }

  #headers(extra: HeadersInit | undefined): Headers {
    const headers = new Headers(extra);
    const { credentials, orgId } = this.#signIn;
    headers.set("authorization", `Bearer ${credentials.kind === "api_key" ? credentials.apiKey : credentials.accessToken}`);
    if (orgId) headers.set("x-org-id", orgId);
    return headers;
  }

  #signedOut(problem: ApiProblem): ApiProblem {
    if (!this.#closed) this.#onSignedOut(problem);
    this.#closed = true;
    return problem;
  }

  async #refreshIfDue(): Promise<void> {
    const { credentials } = this.#signIn;
    if (credentials.kind === "password" && credentials.expiresAt - Date.now() < REFRESH_MARGIN_MS) await this.#refresh();
  }

  /** One refresh at a time: refresh tokens are single-use, so two would sign the user out. */
  #refresh(): Promise<void> {
    this.#refreshing ??= this.#doRefresh().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #doRefresh(): Promise<void> {
    const { credentials } = this.#signIn;
    if (credentials.kind !== "password") return;
    const res = await postJson("/v1/auth/refresh", { refresh_token: credentials.refreshToken });
    if (!res.ok) throw this.#signedOut(await problemFrom(res));
    this.#signIn = { ...this.#signIn, credentials: credentialsFrom((await res.json()) as AuthTokens, credentials.email) };
    if (!this.#closed) saveSignIn(this.#signIn);
  }
}
