import { formatMs, prettyJson } from "../ui/format";
import type { ToolCallView } from "./transcript";

const STATUS_TEXT: Record<ToolCallView["status"], string> = {
  running: "running…",
  success: "succeeded",
  error: "failed",
  stopped: "stopped",
};

/** What the card shows of a decided call. */
const DECISION_TEXT: Record<string, string> = {
  allow: "Allowed",
  allow_always: "Always allowed",
  reject: "Rejected",
  reject_always: "Always rejected",
};

/** A person decides on a call waiting for approval. */
export type Decide = (toolCallId: string, decision: "allow" | "allow_always" | "reject") => void;

/** The approval part of a gated call's card: the buttons while it waits, then the decision and who took it. */
function ApprovalBox({ call, onDecide }: { call: ToolCallView; onDecide: Decide | undefined }) {
  const approval = call.approval;
  if (!approval) return null;
  if (approval.decision === null) {
    if (call.status !== "running")
      return (
        <p class="approval muted small" data-approval="closed">
          The turn ended before anyone decided.
        </p>
      );
    return (
      // biome-ignore lint/a11y/useSemanticElements: a labelled group of buttons, not a form field set (the e2e check finds it by role)
      <div class="approval approval-waiting" role="group" aria-label={`Approve ${call.name}`} data-approval="waiting">
        <p>
          <strong>Needs your approval</strong> before <code>{call.name}</code> runs
          {approval.expiresAt && <span class="muted small"> (until {new Date(approval.expiresAt).toLocaleTimeString()})</span>}.
        </p>
        <div class="actions">
          <button type="button" class="button-small" onClick={() => onDecide?.(call.id, "allow")}>
            Allow
          </button>
          <button type="button" class="button-small button-secondary" onClick={() => onDecide?.(call.id, "allow_always")}>
            Always allow
          </button>
          <button type="button" class="button-small button-secondary" onClick={() => onDecide?.(call.id, "reject")}>
            Reject
          </button>
        </div>
      </div>
    );
  }
  const by = approval.decidedBy === "timeout" ? "no one decided in time" : approval.decidedBy ? `by ${approval.decidedBy}` : "";
  return (
    <p class="approval muted small" data-approval={approval.decision}>
      {DECISION_TEXT[approval.decision] ?? approval.decision} {by}
    </p>
  );
}

/** A tool call as a collapsible card (a native <details>: keyboard and screen readers work as is); below it, a gated call's approval buttons or decision. */
export function ToolCard({ call, durationMs, onDecide }: { call: ToolCallView; durationMs: number | null; onDecide?: Decide | undefined }) {
  return (
    <div class="tool-card-wrap">
      <details class={`tool-card tool-${call.status}`} data-tool-call={call.id}>
        <summary>
          <span class="tool-name">{call.name}</span> <span class="tool-status">{STATUS_TEXT[call.status]}</span>
          {durationMs !== null && call.status !== "running" && <span class="muted small"> · {formatMs(durationMs)}</span>}
        </summary>
        <div class="tool-body">
          <h4>Arguments</h4>
          <pre>{prettyJson(call.arguments)}</pre>
          {call.status === "success" && (
            <>
              <h4>Result</h4>
              <pre>{prettyJson(call.result)}</pre>
            </>
          )}
          {call.status === "error" && (
            <>
              <h4>Error</h4>
              <p>{call.error ?? "The tool failed without a message"}</p>
            </>
          )}
        </div>
      </details>
      <ApprovalBox call={call} onDecide={onDecide} />
    </div>
  );
}
