// The few real-API calls the scenarios need, with the bench API key, and a timed request.

/** One request, timed from the call to the end of its body. Never throws for an HTTP status. */
export async function timedRequest(url, { method = "GET", headers = {}, body } = {}) {
  const t0 = performance.now();
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, ms: performance.now() - t0, text };
}

/** A client for the real Worker at `base`, authenticating with `apiKey`. */
export function apiClient(base, apiKey) {
  const auth = { authorization: `Bearer ${apiKey}` };

  async function call(method, path, body, expected) {
    const res = await timedRequest(base + path, { method, headers: auth, body });
    if (res.status !== expected)
      throw new Error(`${method} ${path} answered ${res.status} (expected ${expected}): ${res.text.slice(0, 300)}`);
    return JSON.parse(res.text);
  }

  return {
    base,
    auth,
    call,
    /** An agent; `capabilities: ["current_time"]` lets llmsim call get_current_time. */
    createAgent: (capabilities = []) =>
      call("POST", "/v1/agents", { name: "Bench agent", system_prompt: "You are the benchmark's agent.", capabilities }, 201),
    createSession: (agentId) => call("POST", "/v1/sessions", { agent_id: agentId }, 201),
    /** Sends a user message; returns the HTTP status and the time to the answer, never throws for a status. */
    async sendMessage(sessionId, text) {
      const res = await timedRequest(`${base}/v1/sessions/${sessionId}/messages`, {
        method: "POST",
        headers: auth,
        body: { message: { role: "user", content: [{ type: "text", text }] } },
      });
      return res;
    },
    /** Every stored event of a session, oldest first, read as JSON pages of 1000. */
    async allEvents(sessionId) {
      const events = [];
      for (let page = 0; page < 100; page += 1) {
        const after = events.length > 0 ? `&since_id=${events[events.length - 1].id}` : "";
        const res = await timedRequest(`${base}/v1/sessions/${sessionId}/events?limit=1000${after}`, {
          headers: { ...auth, accept: "application/json" },
        });
        if (res.status !== 200) throw new Error(`event list answered ${res.status}: ${res.text.slice(0, 200)}`);
        const { data } = JSON.parse(res.text);
        events.push(...data);
        if (data.length < 1000) break;
      }
      return events;
    },
    sseUrl: (sessionId) => `${base}/v1/sessions/${sessionId}/sse`,
  };
}
