import { formatMs } from "../ui/format";
import type { Span, TurnTimeline } from "./turn-timeline";

const WIDTH = 640;
const LABEL_W = 140;
const RIGHT_PAD = 70;
const ROW_H = 22;
const TOP = 6;
const AXIS_H = 22;

/** Milliseconds to a round tick step, so the axis reads 0, 250 ms, 500 ms… */
function tickStep(totalMs: number): number {
  const rough = totalMs / 4;
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(rough, 1)));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((step) => step >= rough) ?? magnitude * 10;
}

function describe(span: Span): string {
  const took = formatMs(span.end - span.start);
  const first = span.firstToken === null ? "" : `, first token after ${formatMs(span.firstToken - span.start)}`;
  return `${span.label}: ${took}${first}${span.status === "running" ? " so far" : span.status === "done" ? "" : ` (${span.status})`}`;
}

/**
 * A turn's waterfall in SVG: one row per model call and tool call on a shared time axis, the
 * first token marked on its model call. The summary line under it carries the same numbers as
 * text, and the SVG's title and description read them out to screen readers.
 */
export function TimelineChart({ timeline }: { timeline: TurnTimeline }) {
  const { spans, totalMs } = timeline;
  const span = Math.max(totalMs, 1);
  const plotW = WIDTH - LABEL_W - RIGHT_PAD;
  const x = (ms: number) => LABEL_W + (Math.min(Math.max(ms, 0), span) / span) * plotW;
  const height = TOP + spans.length * ROW_H + AXIS_H;
  const step = tickStep(span);
  const ticks: number[] = [];
  for (let t = 0; t <= span + 0.5; t += step) ticks.push(t);
  const usage = timeline.usage;
  const summary = [
    `Total ${formatMs(timeline.durationMs ?? totalMs)}${timeline.running ? " so far" : ""}`,
    timeline.firstTokenMs === null ? "first token: not seen live" : `first token after ${formatMs(timeline.firstTokenMs)}`,
    `${spans.filter((s) => s.kind === "model").length} model call(s)`,
    `${spans.filter((s) => s.kind === "tool").length} tool call(s)`,
    usage ? `tokens ${usage.input_tokens} in / ${usage.output_tokens} out` : null,
    timeline.iterations === null ? null : `${timeline.iterations} iteration(s)`,
  ].filter((part): part is string => part !== null);

  return (
    <figure class="timeline">
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={`Where the time went: ${spans.map(describe).join("; ")}`}>
        {ticks.map((t) => (
          <g class="tick">
            <line x1={x(t)} x2={x(t)} y1={TOP - 2} y2={TOP + spans.length * ROW_H} />
            <text x={x(t)} y={height - 6} text-anchor="middle">
              {formatMs(t)}
            </text>
          </g>
        ))}
        {spans.map((s, i) => {
          const y = TOP + i * ROW_H;
          const x1 = x(s.start);
          const w = Math.max(x(s.end) - x1, 2);
          return (
            <g class={`span span-${s.kind} span-${s.status}`}>
              <title>{describe(s)}</title>
              <text class="span-label" x={LABEL_W - 8} y={y + ROW_H / 2 + 4} text-anchor="end">
                {s.label.length > 18 ? `${s.label.slice(0, 17)}…` : s.label}
              </text>
              <rect x={x1} y={y + 4} width={w} height={ROW_H - 8} rx={3} />
              {s.firstToken !== null && <path class="first-token" d={`M ${x(s.firstToken)} ${y + 1} l 4 5 l -4 5 l -4 -5 z`} />}
              <text class="span-duration" x={x1 + w + 6} y={y + ROW_H / 2 + 4}>
                {formatMs(s.end - s.start)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption class="muted small">{summary.join(" · ")}</figcaption>
    </figure>
  );
}
