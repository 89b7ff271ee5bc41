// The smallest chat page on an Everruns-compatible API: the AI SDK's `useChat` with the stock
// `DefaultChatTransport`, a card per tool call, and Approve/Reject for a call waiting for approval. The page talks to its own server (server.mjs), which forwards `/v1/…`
// to the API with the API key, so no key ever reaches the browser.
import { useChat } from "@ai-sdk/react";
import {
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithApprovalResponses,
  lastAssistantMessageIsCompleteWithToolCalls,
  type UIMessage,
} from "ai";
import { useState } from "react";
import { createRoot } from "react-dom/client";

type ToolPart = Extract<UIMessage["parts"][number], { toolCallId: string }>;

/** A tool call: its input, then its output, or Approve/Reject while it waits for a person. */
function ToolCard({ part, approve }: { part: ToolPart; approve: (approved: boolean) => void }) {
  return (
    <div className="tool-card" data-state={part.state}>
      <strong>{part.type.replace(/^tool-/, "")}</strong> <code>{JSON.stringify(part.input)}</code>
      {part.state === "output-available" && <pre className="tool-output">{JSON.stringify(part.output)}</pre>}
      {part.state === "output-error" && <pre className="tool-error">{part.errorText}</pre>}
      {part.state === "output-denied" && <p className="tool-error">Rejected</p>}
      {part.state === "approval-requested" && (
        <p>
          <button type="button" onClick={() => approve(true)}>
            Approve
          </button>{" "}
          <button type="button" onClick={() => approve(false)}>
            Reject
          </button>
        </p>
      )}
    </div>
  );
}

function Chat({ sessionId }: { sessionId: string }) {
  const { messages, sendMessage, addToolApprovalResponse, status, stop, error } = useChat({
    id: sessionId, // the chat id is the session id
    transport: new DefaultChatTransport({ api: "/v1/chat" }),
    // Once every call waiting on the page is answered (tool outputs, approvals), send the answers back.
    sendAutomaticallyWhen: (options) =>
      lastAssistantMessageIsCompleteWithToolCalls(options) || lastAssistantMessageIsCompleteWithApprovalResponses(options),
    resume: true, // after a reload, pick up a reply that is still streaming
  });
  const [input, setInput] = useState("");
  const send = (text: string) => void sendMessage({ text });
  return (
    <main>
      {messages.map((message) => (
        <div key={message.id} className={`message ${message.role}`}>
          {message.parts.map((part, i) =>
            part.type === "text" ? (
              <p key={i} className="text">
                {part.text}
              </p>
            ) : "toolCallId" in part ? (
              <ToolCard
                key={part.toolCallId}
                part={part}
                approve={(approved) => part.approval && void addToolApprovalResponse({ id: part.approval.id, approved })}
              />
            ) : null,
          )}
        </div>
      ))}
      {error && <p className="error">{error.message}</p>}
      <p>
        <button type="button" onClick={() => send("What is the weather in Paris?")}>
          Weather in Paris
        </button>{" "}
        <button type="button" onClick={() => send("What is 2 + 3?")}>
          Add, with approval
        </button>
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (input.trim()) send(input);
          setInput("");
        }}
      >
        <input aria-label="Message" value={input} onChange={(e) => setInput(e.target.value)} placeholder="Say something" />
        <button type="submit" disabled={status !== "ready"}>
          Send
        </button>{" "}
        {status === "streaming" && (
          <button
            type="button"
            onClick={() => {
              // `stop()` only ends this page's read of the stream; the cancel ends the turn itself.
              void stop();
              void fetch(`/v1/sessions/${sessionId}/cancel`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: "{}",
              });
            }}
          >
            Stop
          </button>
        )}
      </form>
    </main>
  );
}

// The server made an agent and a session for this page (see server.mjs).
const { sessionId } = (await (await fetch("/config.json")).json()) as { sessionId: string };
createRoot(document.getElementById("root") as HTMLElement).render(<Chat sessionId={sessionId} />);
