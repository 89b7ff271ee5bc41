import type { Context } from "hono";
import type { OrgEnv } from "../env";
import { sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import type { ApprovalDecisionInput, PostedMessage, PostMessageInput, ToolResultInput } from "../session/rpc";
import { type SessionClient, sessionClient } from "./session-client";

/** What makes a client protocol's message one message: its own id (the AI SDK's UIMessage id, AG-UI's message id). */
export interface ProtocolMessageKey {
  /** `ui-message` or `ag-ui-message`: keys of the two protocols never meet. */
  scope: string;
  id: string;
  /** What must be the same for a retry (the content, the run's tools); another value is a 422. */
  fingerprint: unknown;
  /** The field that carries the id, for the 422. */
  path: string;
}

/**
 * Posts a client protocol's user message once per message id: a retry (even one racing the first
 * request) gets the stored message back, and so follows the same turn. The id is an
 * Idempotency-Key of the caller in the org, remembered by the session object; the same id with
 * other content is a 422 naming the id's field.
 */
export async function postProtocolMessage(
  c: Context<OrgEnv>,
  sessionId: string,
  input: PostMessageInput,
  key: ProtocolMessageKey,
): Promise<PostedMessage> {
  const { caller, principal } = c.var;
  const idempotency = {
    key: `${key.scope}:${key.id}`,
    caller: `${caller.apiKeyId ?? caller.userId}:${principal.orgId}`,
    requestHash: await sha256Hex(JSON.stringify(key.fingerprint)),
  };
  try {
    return await sessionClient({ env: c.env, var: { ...c.var, idempotency } }, sessionId).postMessage(input);
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== "idempotency_key_reused") throw err;
    throw new ApiError("idempotency_key_reused", {
      detail: "This message id was sent before with other content",
      errors: [{ path: key.path, message: "Already sent with other content" }],
    });
  }
}

/** Refusals that mean a retry raced its first request: the answer or decision is in already, or nothing waits any more. */
const RACED_RESULTS = new Set(["tool_call_already_answered", "not_waiting_for_tool_results"]);
const RACED_DECISIONS = new Set(["tool_call_already_decided", "not_waiting_for_tool_results"]);

/** Sends `submit`; a refusal among `raced` counts as done. */
async function unlessRaced(submit: () => Promise<unknown>, raced: ReadonlySet<string>): Promise<void> {
  try {
    await submit();
  } catch (err) {
    if (err instanceof ApiError && raced.has(err.code)) return;
    throw err;
  }
}

/**
 * Stores a protocol's answers to client-side calls, then applies its approval decisions; a retry
 * racing its first request counts as done. Answers the ids of the turn's calls settled now: those
 * answered or decided `before`, and these.
 */
export async function submitProtocolAnswers(
  session: SessionClient,
  before: { answered: Iterable<string>; decided: Iterable<string> },
  results: ToolResultInput[],
  decisions: ApprovalDecisionInput[],
): Promise<Set<string>> {
  if (results.length > 0) await unlessRaced(() => session.submitToolResults(results), RACED_RESULTS);
  if (decisions.length > 0) await unlessRaced(() => session.decideToolApprovals(decisions), RACED_DECISIONS);
  return new Set([...before.answered, ...before.decided, ...results.map((r) => r.tool_call_id), ...decisions.map((d) => d.tool_call_id)]);
}
