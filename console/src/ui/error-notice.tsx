import { useState } from "hono/jsx/dom";
import type { ApiProblem } from "../api/problem";

/**
 * A failure as people can act on it: the problem's `detail`, the fields it names, and its
 * `request_id` with a copy button (quote it when reporting). Never the raw body.
 */
export function ErrorNotice({ problem, title }: { problem: ApiProblem | null; title?: string }) {
  const [copied, setCopied] = useState<"no" | "yes" | "failed">("no");
  if (!problem) return null;
  const requestId = problem.requestId;
  const copy = async () => {
    if (!requestId) return;
    try {
      await navigator.clipboard.writeText(requestId);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  };
  return (
    <div class="notice notice-error" role="alert">
      {title && <p class="notice-title">{title}</p>}
      <p class="notice-detail">{problem.detail}</p>
      {problem.errors.length > 0 && (
        <ul class="notice-fields">
          {problem.errors.map((e) => (
            <li>
              <code>{e.path}</code>: {e.message}
            </li>
          ))}
        </ul>
      )}
      {requestId && (
        <p class="notice-request">
          Request ID <code class="request-id">{requestId}</code>{" "}
          <button type="button" class="button-small" onClick={copy}>
            {copied === "yes" ? "Copied" : "Copy request ID"}
          </button>
          {copied === "failed" && <span class="muted"> The browser refused; select the ID and copy it.</span>}
        </p>
      )}
    </div>
  );
}
