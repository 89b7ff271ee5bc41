// The markdown tables of docs/BENCHMARKS.md, one function per table.

export const ms = (v) => (Number.isFinite(v) ? v.toFixed(1) : "—");
const rate = (v) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : "—");
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "—");
const table = (head, align, rows) =>
  [
    `| ${head.join(" | ")} |`,
    `|${align.map((a) => (a === "r" ? "--:" : "---")).join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");

/** The remote-D1 metrics, in the order of their table; each is a p50 unless the name says otherwise. */
const D1_METRICS = [
  "POST → first message.delta (plain)",
  "↳ POST → delta made (its ts)",
  "↳ delta made → received",
  "POST → first tool.call",
  "POST → first message.delta (tool turn)",
  "POST → session.completed (plain)",
  "POST → session.completed (tool turn)",
  "POST …/messages → 201",
  "GET /v1/agents/{id}, cold",
  "GET /v1/agents/{id}, warm",
  "GET /v1/sessions/{id}",
  "GET /v1/sessions",
  "GET …/events (JSON)",
  "POST /v1/sessions",
];

/** The targets at the remote delay, on medians. */
const D1_TARGETS = {
  "POST → first message.delta (plain)": 40,
  "POST → first tool.call": 50,
  "POST → session.completed (plain)": 60,
  "GET /v1/agents/{id}, cold": 60,
  "GET /v1/agents/{id}, warm": 60,
  "GET /v1/sessions/{id}": 60,
};

const p50Of = (remote, latency, metric) => remote?.timings?.[latency]?.[metric]?.p50;

/** Before and after, at no delay and at the remote delay: p50 per metric, and the target. */
export function d1CompareTable(after, before, latency) {
  const rows = D1_METRICS.map((metric) => {
    const target = D1_TARGETS[metric];
    const value = p50Of(after, latency, metric);
    const met = target === undefined ? "" : Number.isFinite(value) && value <= target ? "met" : "**missed**";
    return [
      metric,
      ms(p50Of(before, 0, metric)),
      ms(p50Of(before, latency, metric)),
      ms(p50Of(after, 0, metric)),
      ms(value),
      target === undefined ? "" : `≤ ${target}`,
      met,
    ];
  });
  return table(
    ["p50, ms", "before, 0 ms", `before, ${latency} ms`, "after, 0 ms", `after, ${latency} ms`, `target at ${latency} ms`, ""],
    ["l", "r", "r", "r", "r", "r", "l"],
    rows,
  );
}

/** Every timing of one tree at each delay: count, errors, p50/p95/p99. */
export function d1DetailTable(remote) {
  const rows = [];
  for (const [latency, metrics] of Object.entries(remote.timings)) {
    for (const metric of D1_METRICS) {
      const s = metrics[metric];
      if (s) rows.push([metric, `${latency} ms`, s.count, s.errors, ms(s.p50), ms(s.p95), ms(s.p99)]);
    }
  }
  return table(["Metric", "D1 delay", "Count", "Errors", "p50 ms", "p95 ms", "p99 ms"], ["l", "r", "r", "r", "r", "r", "r"], rows);
}

const rw = (t) => (t ? `${t.reads} R / ${t.writes} W (${t.sequential} seq.)` : "—");

/** The turns' counts of every repeat, or one figure when they agree. */
function turnFigure(runs, part, phase) {
  const figures = [...new Set(runs.map((r) => rw(r[part][phase])))];
  return figures.length === 1 ? figures[0] : `varied: ${figures.join(" · ")}`;
}

/** Rows of one tree's counts: requests alone, then the POST and the object's turn. */
function countRows(counts) {
  if (!counts) return {};
  const rows = {};
  for (const [name, c] of Object.entries(counts.rows)) rows[name] = { path: rw(c.path), after: rw(c.after), what: c };
  for (const [kind, runs] of Object.entries(counts.turns)) {
    rows[`POST …/messages (route), ${kind} turn`] = {
      path: turnFigure(runs, "post", "path"),
      after: turnFigure(runs, "post", "after"),
      what: runs[0].post,
    };
    rows[`${kind} turn (session object)`] = {
      path: turnFigure(runs, "turn", "path"),
      after: turnFigure(runs, "turn", "after"),
      what: runs[0].turn,
    };
  }
  return rows;
}

export function countsTable(after, before) {
  const a = countRows(after?.counts);
  const b = countRows(before?.counts);
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const rows = names.map((n) => [n, b[n]?.path ?? "—", b[n]?.after ?? "—", a[n]?.path ?? "—", a[n]?.after ?? "—"]);
  return table(
    ["Request", "before: on its path", "before: after it", "after: on its path", "after: after it"],
    ["l", "l", "l", "l", "l"],
    rows,
  );
}

export function statementsTable(after, before) {
  const rows = [];
  for (const [tree, remote] of [
    ["before", before],
    ["after", after],
  ]) {
    for (const [name, row] of Object.entries(countRows(remote?.counts))) {
      const list = (t) => (t.what.length > 0 ? t.what.join("; ") : "none");
      rows.push([name, tree, list(row.what.path), list(row.what.after)]);
    }
  }
  return table(["Request", "Tree", "On its path (R read, W write)", "After it"], ["l", "l", "l", "l"], rows);
}

export function resumeTable(resume) {
  const rows = resume.rows.map((r) => [
    `sequence ${r.sequence} (${r.point})`,
    r.events,
    `${ms(r.first.p50)} / ${ms(r.first.p99)}`,
    `${ms(r.head.p50)} / ${ms(r.head.p99)}`,
    r.head.errors,
    r.pageSize,
    `${ms(r.page.p50)} / ${ms(r.page.p99)}`,
    r.page.errors,
  ]);
  return table(
    [
      "since_id at",
      "Events to the head",
      "SSE: first event, p50 / max ms",
      "SSE: all to the head, p50 / max ms",
      "SSE errors",
      "JSON page size",
      "JSON page, p50 / max ms",
      "Page errors",
    ],
    ["l", "r", "r", "r", "r", "r", "r", "r"],
    rows,
  );
}

const FANOUT_TARGETS = { 500: 100, 1000: 250 };

const pct = (v) => (Number.isFinite(v) ? `${v.toFixed(0)} %` : "—");
const cpuCells = (cpu) => [pct(cpu?.clientPct), pct(cpu?.serverPct)];

export function fanoutTable(fanout, wsReady) {
  const rows = [];
  for (const { kind, subscribers, real, bare } of fanout) {
    const name = kind === "sse" ? "SSE" : "WebSocket";
    const target = FANOUT_TARGETS[subscribers];
    if (real) {
      for (const [window, w] of Object.entries(real.windows)) {
        const met = target === undefined ? "" : w.received === w.expected && w.p99 <= target ? "met" : "**missed**";
        const each = Math.round(w.events / subscribers);
        const label =
          window === "single" ? `${w.messages} messages, one at a time` : `burst: ${w.messages} messages back to back, ${each} events each`;
        rows.push([
          name,
          subscribers,
          `real: ${label}`,
          `${w.received} / ${w.expected}`,
          w.events,
          ms(w.p50),
          ms(w.p99),
          target ? `≤ ${target}` : "",
          met,
          ...cpuCells(w.cpu),
        ]);
      }
      const c = real.checks;
      rows.push([
        name,
        subscribers,
        "real: whole session, checked against the stored log",
        `in order ${c.inOrder} / ${c.subscribers}, complete ${c.complete} / ${c.subscribers}`,
        `${c.storedEvents} stored + ~${c.deltasPerSubscriber} deltas each`,
        "",
        "",
        "",
        c.inOrder === c.subscribers && c.complete === c.subscribers ? "all" : "**not all**",
        "",
        "",
      ]);
    } else if (kind === "ws" && !wsReady) {
      rows.push([name, subscribers, "real: skipped (no /ws route yet)", "—", "—", "—", "—", target ? `≤ ${target}` : "", "", "", ""]);
    }
    rows.push([
      name,
      subscribers,
      `bare: 1 publish of ${bare.expected / subscribers} events`,
      `${bare.received} / ${bare.expected}`,
      bare.events,
      ms(bare.p50),
      ms(bare.p99),
      "",
      "",
      ...cpuCells(bare.cpu),
    ]);
  }
  const head = [
    "Transport",
    "Subscribers",
    "What",
    "Deliveries (stored events)",
    "Events timed",
    "p50 ms",
    "p99 ms",
    "Target p99",
    "",
    "CPU: load generator",
    "CPU: workerd",
  ];
  return table(head, ["l", "r", "l", "r", "r", "r", "r", "r", "l", "r", "r"], rows);
}

/** One row per worker; the real row carries real/bare ratios against the bare row below it. */
export function resultsTable(pairs) {
  const rows = [];
  for (const { scenario, unit, real, bare, realLabel, bareLabel } of pairs) {
    rows.push(
      [
        scenario,
        `real: ${realLabel}`,
        real.count,
        real.errors,
        `${rate(real.perSecond)} ${unit}`,
        ms(real.p50),
        ms(real.p95),
        ms(real.p99),
        ratio(real.perSecond, bare.perSecond),
        ratio(real.p50, bare.p50),
        ratio(real.p99, bare.p99),
      ],
      [
        "",
        `bare: ${bareLabel}`,
        bare.count,
        bare.errors,
        `${rate(bare.perSecond)} ${unit}`,
        ms(bare.p50),
        ms(bare.p95),
        ms(bare.p99),
        "",
        "",
        "",
      ],
    );
  }
  return table(
    ["Scenario", "Worker", "Count", "Errors", "Rate", "p50 ms", "p95 ms", "p99 ms", "Rate real/bare", "p50 real/bare", "p99 real/bare"],
    ["l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    rows,
  );
}

/** Scenario e: webhook throughput and the delay from session.completed to the receiver. */
export function webhookTable(w) {
  const t = w.throughput;
  return table(
    ["Measure", "Count", "Result", "p50 ms", "p99 ms", "max ms"],
    ["l", "r", "r", "r", "r", "r"],
    [
      [
        `${t.turns} turns × ${t.endpoints} endpoints: verified deliveries/s`,
        `${t.deliveries}`,
        `${rate(t.perSecond)}/s over ${t.seconds.toFixed(1)} s`,
        "",
        "",
        "",
      ],
      [
        "`session.completed` at the client → `session.idle` at the receiver",
        `${w.delay.count}`,
        "",
        ms(w.delay.p50),
        ms(w.delay.p99),
        ms(w.delay.max),
      ],
    ],
  );
}
