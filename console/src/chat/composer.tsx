import { useState } from "hono/jsx/dom";

/**
 * The message box. Enter sends, Shift+Enter starts a new line. Sending stays possible while a
 * turn runs (the message queues behind it); Cancel stops the running turn.
 */
export function Composer({
  onSend,
  onCancel,
  running,
  cancelling,
}: {
  onSend: (text: string) => void;
  onCancel: () => void;
  running: boolean;
  cancelling: boolean;
}) {
  const [text, setText] = useState("");
  const send = () => {
    const message = text.trim();
    if (message.length === 0) return;
    onSend(message);
    setText("");
  };
  return (
    <form
      class="composer"
      onSubmit={(e: Event) => {
        e.preventDefault();
        send();
      }}
    >
      <label for="composer-text">Message</label>
      <textarea
        id="composer-text"
        rows={3}
        value={text}
        placeholder={running ? "The agent is working; what you send now waits in the queue" : "Ask something, e.g. What time is it?"}
        onInput={(e: Event) => setText((e.currentTarget as HTMLTextAreaElement).value)}
        onKeyDown={(e: KeyboardEvent) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send();
          }
        }}
      />
      <div class="actions">
        <button type="submit" disabled={text.trim().length === 0}>
          {running ? "Queue message" : "Send"}
        </button>
        {running && (
          <button type="button" class="button-danger" onClick={onCancel} disabled={cancelling}>
            {cancelling ? "Cancelling…" : "Cancel turn"}
          </button>
        )}
      </div>
    </form>
  );
}
