import { TimelineChart } from "../timeline/timeline-chart";
import { buildTimeline } from "../timeline/turn-timeline";
import { formatMs } from "../ui/format";
import { type Decide, ToolCard } from "./tool-card";
import type { TurnEnd, TurnView } from "./transcript";

function endLine(end: TurnEnd): string {
  const took = end.durationMs === null ? "" : ` in ${formatMs(end.durationMs)}`;
  if (end.outcome === "completed") return `Completed${took}`;
  if (end.outcome === "cancelled") return `Cancelled${took}`;
  return `Failed${took}: ${end.error ?? "the turn failed"}${end.errorCode ? ` (${end.errorCode})` : ""}`;
}

/** One turn: the agent's text and tool cards in order, how it ended, and where its time went. */
export function TurnBlock({
  turn,
  firstTokenAt,
  now,
  onDecide,
}: {
  turn: TurnView;
  firstTokenAt: Record<string, string>;
  now: number;
  onDecide?: Decide;
}) {
  const openReply = turn.parts.find((p) => p.kind === "text" && p.state !== "stored");
  const timeline = buildTimeline(turn.events, firstTokenAt, now, openReply?.kind === "text" ? openReply.messageId : null);
  const toolSpans = new Map(timeline?.spans.filter((s) => s.kind === "tool").map((s) => [s.key, s.end - s.start]) ?? []);
  return (
    <article class="turn" data-turn={turn.turnId} aria-label="Agent turn">
      {turn.parts.map((part) => {
        if (part.kind === "tool") return <ToolCard call={part.call} durationMs={toolSpans.get(part.call.id) ?? null} onDecide={onDecide} />;
        return (
          <div class={`bubble bubble-agent reply-${part.state}`} data-message={part.messageId}>
            <p class="reply-text">{part.text}</p>
            {part.state === "streaming" && <span class="muted small typing">replying…</span>}
            {part.state === "stopped" && <span class="muted small">(stopped before the reply was finished)</span>}
          </div>
        );
      })}
      {turn.end ? (
        <p class={`turn-end turn-${turn.end.outcome}`} role="status">
          {endLine(turn.end)}
        </p>
      ) : (
        !openReply && (
          <p class="muted small typing" role="status">
            Working…
          </p>
        )
      )}
      {timeline && <TimelineChart timeline={timeline} />}
    </article>
  );
}
