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

/** Stores a protocol's answers to client-side calls; a retry racing its first request (answered already, or nothing waiting any more) counts as done. */
export async function submitProtocolResults(session: SessionClient, results: ToolResultInput[]): Promise<void> {
  if (results.length === 0) return;
  try {
    await session.submitToolResults(results);
  } catch (err) {
    if (err instanceof ApiError && (err.code === "tool_call_already_answered" || err.code === "not_waiting_for_tool_results")) return;
    throw err;
  }
}

/** Applies a protocol's approval decisions; a retry racing its first request (decided already, or nothing waiting any more) counts as done. */
export async function submitProtocolDecisions(session: SessionClient, decisions: ApprovalDecisionInput[]): Promise<void> {
  if (decisions.length === 0) return;
  try {
    await session.decideToolApprovals(decisions);
  } catch (err) {
    if (err instanceof ApiError && (err.code === "tool_call_already_decided" || err.code === "not_waiting_for_tool_results")) return;
    throw err;
  }
}
