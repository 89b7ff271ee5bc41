import { formatMs, prettyJson } from "../ui/format";
import type { ToolCallView } from "./transcript";

const STATUS_TEXT: Record<ToolCallView["status"], string> = {
  running: "running…",
  success: "succeeded",
  error: "failed",
  stopped: "stopped",
};

/** A tool call as a collapsible card (a native <details>: keyboard and screen readers work as is). */
export function ToolCard({ call, durationMs }: { call: ToolCallView; durationMs: number | null }) {
  return (
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
  );
}
