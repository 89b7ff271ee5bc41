import { fakeModel, type ProviderType } from "./models";
import { createAgent, createSession } from "./resources";
import { openStream, SseReader } from "./sse-reader";
import { newTenant } from "./tenants";

/** What sessionSetup and turnSetup build the agent on: its capabilities, and a fakeModel at `provider` (else llmsim). */
interface SetupOptions {
  capabilities?: string[];
  provider?: { type: ProviderType; base: string };
}

/**
 * A tenant, an agent (with `capabilities`, on a fakeModel at `provider` or else the built-in
 * llmsim) and a session; also the model id (null for llmsim).
 */
export async function sessionSetup(options: SetupOptions = {}) {
  const t = await newTenant();
  const modelId = options.provider ? await fakeModel(t, options.provider.type, options.provider.base) : null;
  const agent = await createAgent(t, { capabilities: options.capabilities ?? [], default_model_id: modelId });
  const session = await createSession(t, agent.id);
  return { t, session, modelId };
}

/** A sessionSetup with the session's SSE stream already open, ready to read a turn. */
export async function turnSetup(options: SetupOptions = {}) {
  const setup = await sessionSetup(options);
  const reader = new SseReader(await openStream(setup.t, setup.session.id));
  return { ...setup, reader };
}
