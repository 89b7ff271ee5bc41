import { useEffect, useMemo, useRef, useState } from "hono/jsx/dom";
import type { ApiClient } from "../api/client";
import { type ApiProblem, toProblem } from "../api/problem";
import type { Message, Session } from "../api/types";
import { cancelRequest } from "../chat/cancel";
import { Composer } from "../chat/composer";
import { EMPTY_LOG, type SessionLog } from "../chat/session-log";
import { buildTranscript } from "../chat/transcript";
import { TurnBlock } from "../chat/turn-block";
import { type FeedStatus, SessionFeed } from "../stream/session-feed";
import { ErrorNotice } from "../ui/error-notice";
import { useLoad } from "../ui/use-load";

/** A message sent from this page whose message.created has not arrived yet. */
interface Pending {
  key: number;
  text: string;
  messageId: string | null;
  problem: ApiProblem | null;
}

/** Within this distance of the page's end the chat follows new text. */
const NEAR_BOTTOM_PX = 160;

const STATUS_TEXT: Record<FeedStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  stopped: "Disconnected",
};

/** The chat of one session: its history and live turns, a composer, cancel, and each turn's timeline. */
export function ChatPage({ api, sessionId }: { api: ApiClient; sessionId: string }) {
  const session = useLoad(() => api.request<Session>("GET", `/v1/sessions/${sessionId}`), [api, sessionId]);
  const [log, setLog] = useState<SessionLog>(EMPTY_LOG);
  const [status, setStatus] = useState<{ status: FeedStatus; problem: ApiProblem | null }>({ status: "connecting", problem: null });
  const [pending, setPending] = useState<Pending[]>([]);
  const [actionProblem, setActionProblem] = useState<ApiProblem | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [now, setNow] = useState(Date.now());
  const followRef = useRef(true);

  useEffect(() => {
    const feed = new SessionFeed(api, sessionId, {
      log: setLog,
      status: (s, problem) => setStatus({ status: s, problem }),
    });
    feed.start();
    const onHide = () => feed.stop();
    window.addEventListener("pagehide", onHide);
    return () => {
      window.removeEventListener("pagehide", onHide);
      feed.stop();
    };
  }, [api, sessionId]);

  const transcript = useMemo(() => buildTranscript(log), [log]);
  const running = transcript.running !== null;

  // Running bars grow with the clock; nothing ticks while the session is idle.
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [running]);

  // New text keeps the newest part in view, unless the reader has scrolled up to read.
  useEffect(() => {
    if (window.innerHeight + window.scrollY >= document.body.scrollHeight - NEAR_BOTTOM_PX) return;
    if (followRef.current) window.scrollTo(0, document.body.scrollHeight);
  }, [log, pending]);
  useEffect(() => {
    const onScroll = () => {
      followRef.current = window.innerHeight + window.scrollY >= document.body.scrollHeight - NEAR_BOTTOM_PX;
    };
    window.addEventListener("scroll", onScroll, { passive: true });
    return () => window.removeEventListener("scroll", onScroll);
  }, []);

  // A pending message is shown until its message.created is in the log.
  const stored = new Set(log.events.flatMap((e) => (e.type === "message.created" ? [(e.data.message as Message).id] : [])));
  const waiting = pending.filter((p) => p.messageId === null || !stored.has(p.messageId));

  const send = async (text: string) => {
    const key = Date.now() + Math.random();
    setPending((list) => [...list, { key, text, messageId: null, problem: null }]);
    try {
      const message = await api.request<Message>("POST", `/v1/sessions/${sessionId}/messages`, {
        message: { role: "user", content: [{ type: "text", text }] },
      });
      setPending((list) => list.map((p) => (p.key === key ? { ...p, messageId: message.id } : p)));
    } catch (err) {
      setPending((list) => list.map((p) => (p.key === key ? { ...p, problem: toProblem(err) } : p)));
    }
  };

  // Decisions in flight: a double click sends one. A ref, not state: the second click of a double
  // click comes before a re-render.
  const deciding = useRef(new Set<string>());
  const decide = async (toolCallId: string, decision: "allow" | "allow_always" | "reject") => {
    const key = `${sessionId} ${toolCallId}`;
    if (deciding.current.has(key)) return;
    deciding.current.add(key);
    setActionProblem(null);
    try {
      await api.request("POST", `/v1/sessions/${sessionId}/tool-approvals`, { decisions: [{ tool_call_id: toolCallId, decision }] });
    } catch (err) {
      setActionProblem(toProblem(err));
    } finally {
      deciding.current.delete(key);
    }
  };

  const cancel = async () => {
    const request = cancelRequest(sessionId, transcript);
    if (!request) return;
    setCancelling(true);
    setActionProblem(null);
    try {
      await api.request("POST", request.path, request.body);
    } catch (err) {
      setActionProblem(toProblem(err));
    } finally {
      setCancelling(false);
    }
  };

  if (session.problem) return <ErrorNotice problem={session.problem} title="Could not open the session" />;
  const s = session.data;

  return (
    <section class="chat" aria-labelledby="chat-heading">
      <p>{s && <a href={`#/agents/${s.agent_id}`}>← Agent</a>}</p>
      <div class="page-head">
        <h1 id="chat-heading">{s?.title ?? "Untitled session"}</h1>
        <span class={`badge feed-${status.status}`} role="status" data-feed-status={status.status}>
          {STATUS_TEXT[status.status]}
        </span>
      </div>
      <ErrorNotice
        problem={status.problem}
        title={status.status === "stopped" ? "The event stream stopped" : "The event stream dropped; retrying"}
      />
      <div class="transcript" role="log" aria-label="Conversation">
        {transcript.entries.length === 0 && waiting.length === 0 && <p class="muted">No messages yet.</p>}
        {transcript.entries.map((entry) =>
          entry.kind === "user" ? (
            <div class={`bubble bubble-user${entry.queued ? " queued" : ""}`} data-message={entry.id}>
              <p>{entry.text}</p>
              {entry.queued && <span class="badge">queued</span>}
            </div>
          ) : (
            <TurnBlock turn={entry.turn} firstTokenAt={log.firstTokenAt} now={now} onDecide={(id, decision) => void decide(id, decision)} />
          ),
        )}
        {waiting.map((p) => (
          <div class="bubble bubble-user queued">
            <p>{p.text}</p>
            {p.problem ? (
              <>
                <ErrorNotice problem={p.problem} title="Not sent" />
                <button type="button" class="button-small" onClick={() => setPending((list) => list.filter((q) => q.key !== p.key))}>
                  Dismiss
                </button>
              </>
            ) : (
              <span class="badge">{running ? "queued" : "sending…"}</span>
            )}
          </div>
        ))}
      </div>
      <ErrorNotice problem={actionProblem} title="Could not cancel or decide" />
      <Composer onSend={(text) => void send(text)} onCancel={() => void cancel()} running={running} cancelling={cancelling} />
    </section>
  );
}
