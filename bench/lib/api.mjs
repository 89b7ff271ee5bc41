// The few real-API calls the scenarios need to set themselves up, with the bench API key.

/** A client for the real Worker at `base`, authenticating with `apiKey`. */
export function apiClient(base, apiKey) {
  const auth = { authorization: `Bearer ${apiKey}` };

  async function call(method, path, body, expected) {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? auth : { ...auth, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (res.status !== expected) throw new Error(`${method} ${path} answered ${res.status} (expected ${expected}): ${text.slice(0, 300)}`);
    return JSON.parse(text);
  }

  return {
    base,
    auth,
    createAgent: () => call("POST", "/v1/agents", { name: "Bench agent", system_prompt: "You are the benchmark's agent." }, 201),
    createSession: (agentId) => call("POST", "/v1/sessions", { agent_id: agentId }, 201),
    /** Sends a user message; returns the HTTP status instead of throwing, so a turn can count it as an error. */
    async sendMessage(sessionId, text) {
      const res = await fetch(`${base}/v1/sessions/${sessionId}/messages`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ message: { role: "user", content: [{ type: "text", text }] } }),
        signal: AbortSignal.timeout(15_000),
      });
      await res.arrayBuffer();
      return res.status;
    },
    sseUrl: (sessionId) => `${base}/v1/sessions/${sessionId}/sse`,
  };
}
